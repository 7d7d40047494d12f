package net.poolsa.appliance.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The SAs of one connection as {@code poolsa status --json} showed them at one moment, to prove "same SAs,
 * same keys, no rekey" across an event: an SA is the same one when its SPI, its install time on the monotonic
 * clock and its key fingerprint are all unchanged (see {@code StatusReport}).
 */
public record StatusSnapshot(String connection, Sa inbound, Sa outbound, String algorithms) {
    /** One SA's identity and its packet counter. */
    public record Sa(String spi, long installedNanos, String keyFingerprint, long packets) {
        @Override
        public String toString() {
            return "spi " + spi + " installed at monotonic " + installedNanos + " ns, key fingerprint " + keyFingerprint
                    + ", " + packets + " packets";
        }
    }

    /**
     * Reads connection {@code name} from the status JSON.
     *
     * @throws IllegalArgumentException naming what is missing: no such connection, not installed, or a field absent
     */
    public static StatusSnapshot parse(String json, String name) {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(json);
        if (!(root instanceof Map<?, ?> top) || !(top.get("connections") instanceof List<?> connections)) {
            throw new IllegalArgumentException("not a poolsa status JSON: " + json);
        }
        for (Object o : connections) {
            if (o instanceof Map<?, ?> c && name.equals(c.get("name"))) {
                if (!Boolean.TRUE.equals(c.get("installed"))) {
                    throw new IllegalArgumentException("connection " + name + " is not installed");
                }
                Map<?, ?> out = map(c, "outbound");
                return new StatusSnapshot(name, sa(map(c, "inbound")), sa(out), string(out, "algorithms"));
            }
        }
        throw new IllegalArgumentException("no connection " + name + " in the status");
    }

    /** What differs between this snapshot and a later one of the same SAs; empty when they are the same SAs. */
    public List<String> changesTo(StatusSnapshot later) {
        List<String> changes = new ArrayList<>();
        compare("inbound", inbound, later.inbound, changes);
        compare("outbound", outbound, later.outbound, changes);
        return changes;
    }

    private static void compare(String dir, Sa before, Sa after, List<String> changes) {
        if (!before.spi().equals(after.spi())) {
            changes.add(dir + " SPI " + before.spi() + " -> " + after.spi());
        }
        if (before.installedNanos() != after.installedNanos()) {
            changes.add(dir + " SA reinstalled (monotonic " + before.installedNanos() + " -> " + after.installedNanos() + " ns)");
        }
        if (!before.keyFingerprint().equals(after.keyFingerprint())) {
            changes.add(dir + " key fingerprint " + before.keyFingerprint() + " -> " + after.keyFingerprint());
        }
    }

    private static Map<?, ?> map(Map<?, ?> m, String key) {
        if (m.get(key) instanceof Map<?, ?> v) {
            return v;
        }
        throw new IllegalArgumentException("status JSON without \"" + key + "\"");
    }

    private static String string(Map<?, ?> m, String key) {
        if (m.get(key) instanceof String v) {
            return v;
        }
        throw new IllegalArgumentException("status JSON without \"" + key + "\" (or it is null)");
    }

    private static long number(Map<?, ?> m, String key) {
        if (m.get(key) instanceof Number v) {
            return v.longValue();
        }
        throw new IllegalArgumentException("status JSON without \"" + key + "\"");
    }

    private static Sa sa(Map<?, ?> m) {
        return new Sa(string(m, "spi"), number(m, "installed_monotonic_ns"), string(m, "key_fingerprint"), number(m, "packets"));
    }
}
