package net.poolsa.esp.sa;

/**
 * SA lifetimes (RFC 4301 section 4.4.2.1): soft limits ask the control plane to rekey, hard limits end the SA.
 * Zero means unlimited.
 */
public record Lifetime(long softSeconds, long hardSeconds, long softBytes, long hardBytes,
                       long softPackets, long hardPackets) {
    public static final Lifetime UNLIMITED = new Lifetime(0, 0, 0, 0, 0, 0);

    public Lifetime {
        check("seconds", softSeconds, hardSeconds);
        check("bytes", softBytes, hardBytes);
        check("packets", softPackets, hardPackets);
    }

    private static void check(String what, long soft, long hard) {
        if (soft < 0 || hard < 0) {
            throw new IllegalArgumentException("lifetime " + what + " must not be negative");
        }
        if (hard != 0 && soft > hard) {
            throw new IllegalArgumentException("soft lifetime " + what + " (" + soft + ") exceeds the hard one (" + hard + ")");
        }
    }

    public static Lifetime ofSeconds(long soft, long hard) {
        return new Lifetime(soft, hard, 0, 0, 0, 0);
    }
}
