package net.poolsa.appliance.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import net.poolsa.ike.exchange.IkeDropReason;
import net.poolsa.ike.sa.IkeSaTable;
import net.poolsa.ike.transport.TransportDropReason;

/**
 * The IKE daemon's counters:
 * <ul>
 * <li>{@code poolsa_ike_exchanges_total{version,exchange,result}}: IKE exchanges by type and outcome, every
 *     combination registered at start;</li>
 * <li>{@code poolsa_ike_drops_total{reason}}: IKE datagrams dropped (malformed, unknown cookie, bad hash, ...); every
 *     reason of the engine ({@link IkeDropReason}) and its transport ({@link TransportDropReason}) is registered at
 *     start; a reason the engine adds later gets a series too, up to {@link #MAX_DROP_REASONS} in all, beyond that
 *     it is counted as {@code other}, so the series set stays bounded;</li>
 * <li>{@code poolsa_ike_id_list_fallbacks_total}: peers that refused an RFC 3554 ID_LIST, so one Quick Mode per
 *     range pair was negotiated instead;</li>
 * <li>{@code poolsa_ike_rekeys_total{kind,result}}: rekeys by kind ({@code child}: a Quick Mode replaced a child SA
 *     pair; {@code ike}: a Main Mode replaced an ISAKMP SA) and result ({@code success}: the new SA took over,
 *     counted by both peers; {@code failure}: our attempt did not complete), every combination registered at start.</li>
 * <li>{@code poolsa_ike_dpd_total{peer,outcome}}: dead peer detection (RFC 3706) per address of a peer's outer pool:
 *     R-U-THEREs {@code sent}, authenticated answers {@code acked}, paths that gave none for the DPD timeout
 *     {@code timeout}; at most {@link #MAX_DPD_PEERS} addresses get their own series, later ones {@code other};</li>
 * <li>{@code poolsa_ike_dpd_peers_dead_total{action}}: peers from which no path answered for the DPD timeout, by the
 *     action taken ({@code clear}, {@code restart}).</li>
 * <li>{@code poolsa_ike_nat_keepalives_total{direction}}: NAT-keepalives (RFC 3948 §2.3) {@code sent} by our IKE SAs
 *     behind a NAT and taken by the kernel, and {@code received} from peers behind one (discarded), both registered at
 *     start;</li>
 * <li>{@code poolsa_ike_half_open}: responder IKE SAs waiting for their initiator to come back with our cookie (Main
 *     Mode message 3), {@code poolsa_ike_half_open_limit} the most held ({@link IkeSaTable#MAX_HALF_OPEN}), and
 *     {@code poolsa_ike_half_open_evicted_total} those removed at the limit to make room for a new one: a flood of
 *     first messages shows here, its other drops in {@code poolsa_ike_drops_total} (rate_limited, bad_cookie,
 *     large_first_message).</li>
 * </ul>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc7296#section-1">RFC 7296 §1 (IKEv2 exchanges)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (IKEv1 modes)</a>
 */
public final class IkeMeters {
    /** Outcome of an exchange; {@code REFUSED}: we or the peer declined it (no proposal chosen, a claim outside policy). */
    public enum Result {
        SUCCESS, FAILURE, TIMEOUT, REFUSED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Exchange labels per IKE version, as the metric's {@code exchange} tag. */
    public static final Map<String, String[]> EXCHANGES = Map.of(
            "1", new String[] {"main_mode", "aggressive_mode", "quick_mode", "informational"},
            "2", new String[] {"ike_sa_init", "ike_auth", "create_child_sa", "informational"});
    /** Distinct drop reasons with their own series; a bound on the label set whatever the engine reports. */
    public static final int MAX_DROP_REASONS = 32;
    public static final String OTHER_REASON = "other";
    private static final Pattern REASON = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new HashMap<>();
    private final Map<String, Counter> drops = new ConcurrentHashMap<>();
    private final Counter fallbacks;
    /** Kinds of rekey, as the {@code kind} tag of {@code poolsa_ike_rekeys_total}. */
    public static final String[] REKEY_KINDS = {"child", "ike"};
    private final Map<String, Counter> rekeys = new HashMap<>();
    /** Distinct peer addresses with their own DPD series. */
    public static final int MAX_DPD_PEERS = 64;
    /** The outcomes of {@link #dpd}. */
    public static final java.util.List<String> DPD_OUTCOMES = java.util.List.of("sent", "acked", "timeout");
    private final Map<String, Counter> dpd = new ConcurrentHashMap<>();
    private final Map<String, Counter> peersDead = new HashMap<>();
    /** The directions of {@code poolsa_ike_nat_keepalives_total}. */
    public static final java.util.List<String> KEEPALIVE_DIRECTIONS = java.util.List.of("sent", "received");
    private final Map<String, Counter> keepalives = new HashMap<>();
    private final AtomicInteger halfOpen = new AtomicInteger();
    private final Counter evicted;

    public IkeMeters(MeterRegistry registry) {
        this.registry = registry;
        for (Map.Entry<String, String[]> e : EXCHANGES.entrySet()) {
            for (String exchange : e.getValue()) {
                for (Result r : Result.values()) {
                    counters.put(key(e.getKey(), exchange, r), Counter.builder("poolsa.ike.exchanges")
                            .description("IKE exchanges by version, type and result")
                            .tag("version", e.getKey()).tag("exchange", exchange).tag("result", r.label())
                            .register(registry));
                }
            }
        }
        drop(OTHER_REASON, 0);
        for (IkeDropReason r : IkeDropReason.values()) {
            drop(r.label(), 0);
        }
        for (TransportDropReason r : TransportDropReason.values()) {
            drop(r.label(), 0);
        }
        fallbacks = Counter.builder("poolsa.ike.id.list.fallbacks")
                .description("Peers that refused an RFC 3554 ID_LIST: one Quick Mode per range pair instead")
                .register(registry);
        for (String kind : REKEY_KINDS) {
            for (Result r : new Result[] {Result.SUCCESS, Result.FAILURE}) {
                rekeys.put(kind + "/" + r.label(), Counter.builder("poolsa.ike.rekeys")
                        .description("Rekeys of child and ISAKMP SAs by kind and result")
                        .tag("kind", kind).tag("result", r.label()).register(registry));
            }
        }
        for (String action : new String[] {"clear", "restart"}) {
            peersDead.put(action, Counter.builder("poolsa.ike.dpd.peers.dead").tag("action", action)
                    .description("Peers declared dead by DPD (no path answered for the timeout), by action")
                    .register(registry));
        }
        for (String direction : KEEPALIVE_DIRECTIONS) {
            keepalives.put(direction, Counter.builder("poolsa.ike.nat.keepalives").tag("direction", direction)
                    .description("NAT-keepalives (RFC 3948 §2.3) sent by IKE SAs behind a NAT, and received")
                    .register(registry));
        }
        Gauge.builder("poolsa.ike.half.open", halfOpen, AtomicInteger::get)
                .description("Responder IKE SAs waiting for their initiator to return our cookie").register(registry);
        Gauge.builder("poolsa.ike.half.open.limit", () -> IkeSaTable.MAX_HALF_OPEN)
                .description("Most half-open responder IKE SAs held; beyond it the oldest is evicted").register(registry);
        evicted = Counter.builder("poolsa.ike.half.open.evicted")
                .description("Half-open responder IKE SAs removed at the limit to make room for a new one")
                .register(registry);
    }

    /** Counts one rekey; false (nothing counted) for a label outside the fixed set. */
    public boolean rekey(String kind, Result result) {
        Counter c = rekeys.get(kind + "/" + result.label());
        if (c == null) {
            return false;
        }
        c.increment();
        return true;
    }

    /** Counts one DPD outcome ({@link #DPD_OUTCOMES}) for the peer address {@code peer}. */
    public void dpd(String peer, String outcome) {
        if (!DPD_OUTCOMES.contains(outcome)) {
            throw new IllegalArgumentException("unknown DPD outcome " + outcome);
        }
        String key = peer + " " + outcome;
        Counter c = dpd.get(key);
        if (c == null) {
            String label = dpd.size() < MAX_DPD_PEERS * DPD_OUTCOMES.size() ? peer : OTHER_REASON;
            c = dpd.computeIfAbsent(label + " " + outcome, k -> Counter.builder("poolsa.ike.dpd").tag("peer", label)
                    .tag("outcome", outcome).description("Dead peer detection per peer address and outcome")
                    .register(registry));
        }
        c.increment();
    }

    /** Counts one peer declared dead; {@code action} is clear or restart. */
    public void dpdPeerDead(String action) {
        Counter c = peersDead.get(action);
        if (c == null) {
            throw new IllegalArgumentException("unknown DPD action " + action);
        }
        c.increment();
    }

    /** Counts one NAT-keepalive; false (nothing counted) for a direction outside {@link #KEEPALIVE_DIRECTIONS}. */
    public boolean natKeepalive(String direction) {
        Counter c = keepalives.get(direction);
        if (c == null) {
            return false;
        }
        c.increment();
        return true;
    }

    /** Counts one finished exchange; unknown labels are refused so the tag set stays bounded. */
    public void exchange(String version, String exchange, Result result) {
        Counter c = counters.get(key(version, exchange, result));
        if (c == null) {
            throw new IllegalArgumentException("unknown IKE exchange label: version " + version + " " + exchange);
        }
        c.increment();
    }

    /** Whether {@code exchange} is a known label of {@code version}. */
    public boolean knows(String version, String exchange) {
        return counters.containsKey(key(version, exchange, Result.SUCCESS));
    }

    /** Counts one dropped IKE datagram. */
    public void dropped(String reason) {
        drop(reason, 1);
    }

    private void drop(String reason, int n) {
        Counter c = drops.get(reason);
        if (c == null) {
            String label = REASON.matcher(reason).matches() && drops.size() < MAX_DROP_REASONS ? reason : OTHER_REASON;
            c = drops.computeIfAbsent(label, l -> Counter.builder("poolsa.ike.drops").tag("reason", l)
                    .description("IKE datagrams dropped, by reason").register(registry));
        }
        c.increment(n);
    }

    public void idListFallback() {
        fallbacks.increment();
    }

    /** The engine's half-open count changed. */
    public void halfOpen(int count) {
        halfOpen.set(count);
    }

    public void halfOpenEvicted() {
        evicted.increment();
    }

    private static String key(String version, String exchange, Result r) {
        return version + "/" + exchange + "/" + r.ordinal();
    }
}
