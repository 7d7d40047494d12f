package net.poolsa.esp.event;

/**
 * Why an outbound SA moved to another pair of outer addresses without a new SA (same SPI, same keys, no IKE).
 * The labels are the values of the {@code cause} tag of the appliance's switch counter.
 */
public enum PathSwitchCause {
    /** The kernel said the link or address of the current local outer address went away (rtnetlink). */
    LOCAL_EVENT("local_event"),
    /** The current path gave no evidence (probe reply, authenticated packet) for its detection time. */
    PROBE_TIMEOUT("probe_timeout"),
    /** The newest authenticated packet of the SA's connection arrived over another pair of the pools. */
    PEER_MOVED("peer_moved"),
    /** A more preferred path has been up for the hysteresis time: back to it. */
    SWITCH_BACK("switch_back"),
    /**
     * The SA's first placement, before its paths had all answered once (startup): a more preferred path that answered
     * for the first time, or the first working path for an SA whose path never worked. Taken at once, no hysteresis:
     * nothing failed.
     */
    PLACEMENT("placement");

    private final String label;

    PathSwitchCause(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
