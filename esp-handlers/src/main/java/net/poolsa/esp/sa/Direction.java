package net.poolsa.esp.sa;

/** An SA or policy protects traffic leaving (outbound) or arriving (inbound). */
public enum Direction {
    INBOUND,
    OUTBOUND
}
