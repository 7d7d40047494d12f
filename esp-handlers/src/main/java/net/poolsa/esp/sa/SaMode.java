package net.poolsa.esp.sa;

/** RFC 4301 section 4.1: how the protected packet is carried. */
public enum SaMode {
    TUNNEL,
    TRANSPORT
}
