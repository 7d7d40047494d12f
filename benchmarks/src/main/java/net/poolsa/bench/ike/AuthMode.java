package net.poolsa.bench.ike;

import java.nio.charset.StandardCharsets;

/**
 * How the two peers of a pair authenticate in Main Mode; a parameter of every case so that another mode is one more
 * constant here (its swanctl {@code local}/{@code remote} lines and secrets, and its part of a poolsa connection).
 */
enum AuthMode {
    /** RFC 2409 §5.4: a pre-shared key, the same on all tunnels (a throwaway one, for the benchmark only). */
    PSK;

    private static final String KEY = "poolsa-setup-benchmark-only-psk";

    /** The swanctl {@code auth} value of both sides. */
    String swanctlAuth() {
        return "psk";
    }

    /** The swanctl {@code secrets} section. */
    String swanctlSecrets() {
        return "secrets { ike-bench { secret = \"" + KEY + "\" } }\n";
    }

    /** The key poolsa's connections carry (a fresh copy each time: the engine zeroes it when it drops a connection). */
    byte[] poolsaPsk() {
        return KEY.getBytes(StandardCharsets.US_ASCII);
    }

    static AuthMode parse(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
