package net.poolsa.esp.event;

/**
 * Why the data plane dropped a packet. One value per distinct cause so that operators can tell an attack
 * (forged outer address, replay) from a misconfiguration (unknown SPI, no policy) in the metrics.
 * The metric label is {@link #label()}.
 */
public enum DropReason {
    /** Inbound ESP/AH whose SPI is not in the SAD, or belongs to the other protocol. */
    UNKNOWN_SPI("unknown_spi"),
    /** Inbound ESP/AH whose outer source or destination lies outside the SA's pools. */
    POOL_MISMATCH("pool_mismatch"),
    /** The SA exists but reached a hard lifetime or was exhausted. */
    SA_EXPIRED("sa_expired"),
    /** Outbound: the matching policy says DISCARD, or no policy matched (RFC 4301 default). */
    POLICY_DISCARD("policy_discard"),
    /** Outbound: the policy says PROTECT but no SA is installed for it yet. */
    NO_SA("no_sa");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
