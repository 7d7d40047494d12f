package net.poolsa.esp.event;

/** Why path monitoring did not move an SA although another path looked better (anti-flapping). */
public enum SwitchHold {
    /** The SA switched too often lately: its per-SA switch budget is spent. */
    RATE_LIMIT("rate_limit"),
    /** The preferred path came back, but has not been up for the hysteresis time yet. */
    HYSTERESIS("hysteresis");

    private final String label;

    SwitchHold(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
