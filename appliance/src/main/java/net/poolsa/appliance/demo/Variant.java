package net.poolsa.appliance.demo;

import java.util.Arrays;
import java.util.Locale;

/** The four ways the experiment carries the same transfer, in the order the summary lists them. */
enum Variant {
    PLAIN("plain", "no IPsec"),
    POOLSA("poolsa", "poolsa, pool SAs"),
    PER_ADDRESS("per-address", "per-address IPsec"),
    MOBIKE("mobike", "strongSwan MOBIKE");

    final String key;
    final String label;

    Variant(String key, String label) {
        this.key = key;
        this.label = label;
    }

    static Variant of(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(v -> v.key.equals(k)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown run '" + key + "' (plain, poolsa, per-address, mobike)"));
    }
}
