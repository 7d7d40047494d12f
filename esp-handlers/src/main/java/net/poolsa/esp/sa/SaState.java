package net.poolsa.esp.sa;

/** Life cycle of an SA in the SAD. */
public enum SaState {
    /** Carries traffic. */
    ACTIVE,
    /** A soft lifetime passed: still carries traffic, the control plane should rekey. */
    SOFT_EXPIRED,
    /** A hard lifetime passed or the outbound sequence number is exhausted: carries nothing more. */
    EXPIRED,
    /** Removed from the SAD; key material zeroed. */
    DEAD
}
