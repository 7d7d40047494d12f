package net.poolsa.esp.spd;

/** RFC 4301 section 4.4.1: what the SPD says to do with a packet. */
public enum PolicyAction {
    PROTECT,
    BYPASS,
    DISCARD
}
