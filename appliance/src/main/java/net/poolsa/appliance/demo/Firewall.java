package net.poolsa.appliance.demo;

import java.util.List;

/** The nftables rulesets the experiment adds to its namespaces. */
final class Firewall {
    static final String TABLE = "poolsa_demo";

    private Firewall() {
    }

    /** A ruleset (for {@code nft -f -}) that drops what is forwarded between {@code outside} and {@code inside}. */
    static String noForwarding(List<String> outside, List<String> inside) {
        String out = set(outside);
        String in = set(inside);
        return "table inet " + TABLE + " {\n"
                + "  chain tunnel_only {\n"
                + "    type filter hook forward priority 0; policy accept;\n"
                + "    iifname " + out + " oifname " + in + " drop\n"
                + "    iifname " + in + " oifname " + out + " drop\n"
                + "  }\n"
                + "}\n";
    }

    private static String set(List<String> devices) {
        return "{ " + String.join(", ", devices.stream().map(d -> "\"" + d + "\"").toList()) + " }";
    }
}
