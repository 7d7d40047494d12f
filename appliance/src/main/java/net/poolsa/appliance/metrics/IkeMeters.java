package net.poolsa.appliance.metrics;

import java.util.HashMap;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code poolsa_ike_exchanges_total{version,exchange,result}}: IKE exchanges by type and outcome. All
 * combinations are registered at start and stay 0 until the IKE module reports through
 * {@link #exchange(String, String, Result)}; this build has no IKE, so they read 0.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc7296#section-1">RFC 7296 §1 (IKEv2 exchanges)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (IKEv1 modes)</a>
 */
public final class IkeMeters {
    public enum Result {
        SUCCESS, FAILURE, TIMEOUT;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Exchange labels per IKE version, as the metric's {@code exchange} tag. */
    public static final Map<String, String[]> EXCHANGES = Map.of(
            "1", new String[] {"main_mode", "aggressive_mode", "quick_mode", "informational"},
            "2", new String[] {"ike_sa_init", "ike_auth", "create_child_sa", "informational"});

    private final Map<String, Counter> counters = new HashMap<>();

    public IkeMeters(MeterRegistry registry) {
        for (Map.Entry<String, String[]> e : EXCHANGES.entrySet()) {
            for (String exchange : e.getValue()) {
                for (Result r : Result.values()) {
                    counters.put(key(e.getKey(), exchange, r), Counter.builder("poolsa.ike.exchanges")
                            .description("IKE exchanges by version, type and result (0 until IKE is present)")
                            .tag("version", e.getKey()).tag("exchange", exchange).tag("result", r.label())
                            .register(registry));
                }
            }
        }
    }

    /** Counts one finished exchange; unknown labels are refused so the tag set stays bounded. */
    public void exchange(String version, String exchange, Result result) {
        Counter c = counters.get(key(version, exchange, result));
        if (c == null) {
            throw new IllegalArgumentException("unknown IKE exchange label: version " + version + " " + exchange);
        }
        c.increment();
    }

    private static String key(String version, String exchange, Result r) {
        return version + "/" + exchange + "/" + r.ordinal();
    }
}
