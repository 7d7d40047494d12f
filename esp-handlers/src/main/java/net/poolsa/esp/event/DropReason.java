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
    NO_SA("no_sa"),
    /**
     * Inbound cleartext that an inbound PROTECT policy covers (it should have arrived inside an SA, RFC 4301 §5.2),
     * dropped by the host's nftables rules before the kernel delivered or forwarded it.
     */
    INBOUND_CLEARTEXT("inbound_cleartext"),
    /** Inbound cleartext that an inbound DISCARD policy covers, dropped by the host's nftables rules. */
    INBOUND_DISCARD("inbound_discard"),
    /** A header or trailer shorter than its fixed part, or a length field pointing past the packet. */
    TRUNCATED("truncated"),
    /** A length that is inconsistent (ciphertext not a multiple of the block size, IP total length wrong). */
    BAD_LENGTH("bad_length"),
    /** ESP padding bytes that are not 1, 2, 3, ... (RFC 4303 §2.4) or a pad length past the payload. */
    BAD_PADDING("bad_padding"),
    /** The integrity check value did not verify. */
    BAD_ICV("bad_icv"),
    /** The sequence number was already received (RFC 4303 §3.4.3). */
    REPLAYED("replayed"),
    /** The sequence number is left of the anti-replay window. */
    TOO_OLD("too_old"),
    /** The decapsulated packet does not match the SA's traffic selectors (RFC 4301 §5.2). */
    SELECTOR_MISMATCH("selector_mismatch"),
    /** The outbound sequence number would wrap: the SA must be rekeyed (RFC 4303 §3.3.3). */
    SEQUENCE_EXHAUSTED("sequence_exhausted"),
    /**
     * Outbound on a manually keyed SA: the next sequence number is not yet covered by a durable reservation
     * (the state directory is slow or failing), so it is not sent (RFC 4303 §3.3.3: no number twice per key).
     */
    SEQUENCE_UNRESERVED("sequence_unreserved"),
    /** Not a well-formed IPv4/IPv6 packet (version, header length, checksum, next header chain). */
    MALFORMED_IP("malformed_ip"),
    /** A next header, algorithm or option the data plane does not handle. */
    UNSUPPORTED("unsupported"),
    /** Fragments that could not be reassembled (overlap, too many, timeout). */
    REASSEMBLY_FAILED("reassembly_failed"),
    /** The packet is larger than the path MTU after encapsulation and may not be fragmented (DF or IPv6). */
    TOO_BIG("too_big"),
    /** A buffer or queue limit was reached (back-pressure), not the packet's fault. */
    OVERLOAD("overload"),
    /** A valid ESP packet with next header 59: traffic-flow-confidentiality filler, discarded by design (RFC 4303 §2.6). */
    DUMMY_PACKET("dummy_packet"),
    /** The kernel refused to send the packet (no route, link down, bad header): see the emitter's log. */
    EMIT_FAILED("emit_failed"),
    /**
     * A decapsulated tunnel-mode packet the gateway would forward arrived with TTL / hop limit 0 or 1: dropped and,
     * at a rate limit, answered with ICMP time exceeded (RFC 1812 §5.3.1, RFC 4443 §3.3), so a loop dies.
     */
    TTL_EXPIRED("ttl_expired"),
    /**
     * The outer header says CE (congestion experienced) but the inner packet is Not-ECT: its transport only
     * understands loss, so the decapsulator must drop it (RFC 6040 §4.2).
     */
    ECN_CE_NOT_ECT("ecn_ce_not_ect");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
