package net.poolsa.appliance.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import net.poolsa.appliance.config.ConnectionConfig.Authentication;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.Proposals;
import net.poolsa.ike.Rekey;
import net.poolsa.ike.StartAction;

/**
 * The fields of a connection that only IKE keying reads: {@code ike-proposals}, {@code esp-proposals},
 * {@code start-action}, {@code ike-lifetime}, {@code ah-proposals} (an AH+ESP bundle). Proposals are checked by the IKE engine's own parser
 * ({@link Proposals}), so check-config accepts exactly what the engine can negotiate. On a manually keyed
 * connection these fields would be silently ignored, so they are refused there.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (phase-1 attributes, lifetimes)</a>
 */
final class IkeFields {
    static final Set<String> NAMES = Set.of("ike-proposals", "esp-proposals", "start-action", "ike-lifetime",
            "ah-proposals", "rekey", "dpd", "ike-lifetime-kilobytes");
    /** Bounds of {@code ike-lifetime}: below a minute the SA would rekey constantly; a day is the usual maximum. */
    static final long MIN_IKE_LIFETIME = 60;
    static final long MAX_IKE_LIFETIME = 86_400;
    /**
     * Least {@code ike-lifetime-kilobytes}: Main Mode's messages 5 and 6 and one Quick Mode take about a kilobyte of
     * it, so below 8 the ISAKMP SA would be replaced after a handful of exchanges.
     */
    static final long MIN_IKE_LIFETIME_KILOBYTES = 8;

    /** What the IKE-only fields say; for a manually keyed connection the defaults (no proposals, TRAP, 0). */
    record Values(List<String> ikeProposals, List<String> espProposals, StartAction startAction, long ikeLifetimeSeconds,
                  List<String> ahBundleProposals, Rekey rekey) {
        static final Values MANUAL = new Values(List.of(), List.of(), StartAction.TRAP, 0, List.of(), Rekey.DEFAULT);
    }

    private IkeFields() {
    }

    /**
     * @param connection the connection's node (for errors about a missing field)
     * @param m          its fields
     * @param auth       its authentication, null for a manually keyed connection
     */
    static Values parse(ConfigNode connection, Map<String, ConfigNode> m, IpsecProtocol protocol, Authentication auth)
            throws ConfigException {
        if (auth == null) {
            for (String f : NAMES) {
                if (m.containsKey(f)) {
                    throw m.get(f).error("applies to IKE-keyed connections only (this one has manual SAs); remove it");
                }
            }
            return Values.MANUAL;
        }
        ConfigNode udp = m.get("udp-encapsulation");
        if (udp != null && !udp.mapping(null).isEmpty()) {
            throw udp.error("with IKE the UDP ports come from NAT traversal (RFC 3947: 500, then 4500 or what a NAT "
                    + "maps them to); write 'udp-encapsulation: {}' to encapsulate ESP in UDP even without a NAT");
        }
        List<String> ah = new ArrayList<>();
        ConfigNode bundle = m.get("ah-proposals");
        if (bundle != null) {
            if (protocol != IpsecProtocol.ESP) {
                throw bundle.error("an AH+ESP bundle adds AH to ESP; this connection is " + protocol.name().toLowerCase(
                        Locale.ROOT) + " (write protocol: esp, or remove ah-proposals)");
            }
            if (udp != null) {
                throw bundle.error("an AH+ESP bundle cannot be UDP-encapsulated: AH authenticates the outer addresses "
                        + "a NAT rewrites (RFC 3715 §2.1); remove udp-encapsulation or ah-proposals");
            }
            if (bundle.sequence().isEmpty()) {
                throw bundle.error("at least one proposal is needed (or remove ah-proposals)");
            }
            for (ConfigNode p : bundle.sequence()) {
                ah.add(check(p, v -> Proposals.checkBundleAh(v)));
            }
        }
        List<String> ike = new ArrayList<>();
        for (ConfigNode p : required(connection, m, "ike-proposals", "aes128-sha256-modp2048").sequence()) {
            ike.add(check(p, v -> Proposals.checkIke(v)));
        }
        List<String> esp = new ArrayList<>();
        for (ConfigNode p : required(connection, m, "esp-proposals", "aes128gcm16-modp2048").sequence()) {
            esp.add(check(p, v -> Proposals.checkEsp(v, protocol)));
        }
        StartAction start = m.containsKey("start-action")
                ? StartAction.valueOf(m.get("start-action").oneOf("start", "trap", "none").toUpperCase(Locale.ROOT))
                : StartAction.TRAP;
        long lifetime = m.containsKey("ike-lifetime")
                ? m.get("ike-lifetime").integer(MIN_IKE_LIFETIME, MAX_IKE_LIFETIME) : 0;
        Rekey rekey = m.containsKey("rekey") ? rekey(m.get("rekey"),
                lifetime == 0 ? net.poolsa.ike.IkeConnection.DEFAULT_IKE_LIFETIME_SECONDS : lifetime) : Rekey.DEFAULT;
        if (m.containsKey("ike-lifetime-kilobytes")) {
            rekey = rekey.withIkeLifetimeKilobytes(m.get("ike-lifetime-kilobytes").integer(MIN_IKE_LIFETIME_KILOBYTES,
                    Rekey.MAX_IKE_LIFETIME_KILOBYTES));
        }
        return new Values(ike, esp, start, lifetime, ah, rekey);
    }

    // --- rekeying (issue 12: lifetimes) ---

    /** Largest {@code rekey.grace}: a replaced pair need not wait for packets longer than an hour. */
    static final long MAX_REKEY_GRACE = 3600;

    /**
     * {@code rekey: {jitter-percent: 10, grace: 5, ike-rekey-time: 25920}}: how much earlier than the soft time a
     * rekey may come at random (0-50 % of it), how long a replaced child SA pair keeps receiving before its Delete,
     * and the phase-1 soft time in seconds (below {@code ike-lifetime}; default nine tenths of it).
     */
    private static Rekey rekey(ConfigNode n, long ikeLifetime) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("jitter-percent", "grace", "ike-rekey-time"));
        long jitter = m.containsKey("jitter-percent")
                ? m.get("jitter-percent").integer(0, Math.round(Rekey.MAX_JITTER * 100))
                : Math.round(Rekey.DEFAULT.jitter() * 100);
        long grace = m.containsKey("grace") ? m.get("grace").integer(1, MAX_REKEY_GRACE) : Rekey.DEFAULT.graceSeconds();
        long ikeRekey = 0;
        if (m.containsKey("ike-rekey-time")) {
            ikeRekey = m.get("ike-rekey-time").integer(MIN_IKE_LIFETIME / 2, MAX_IKE_LIFETIME);
            if (ikeRekey >= ikeLifetime) {
                throw m.get("ike-rekey-time").error("the phase-1 rekey time " + ikeRekey + " s must be below the "
                        + "phase-1 lifetime (ike-lifetime) of " + ikeLifetime + " s");
            }
        }
        return new Rekey(jitter / 100.0, grace, ikeRekey);
    }

    private interface Check {
        void run(String proposal);
    }

    /** Lower-cased proposal, or the engine's reason for refusing it at the proposal's line. */
    private static String check(ConfigNode p, Check check) throws ConfigException {
        String v = p.string().toLowerCase(Locale.ROOT);
        try {
            check.run(v);
        } catch (IllegalArgumentException e) {
            throw p.error("proposal '" + v + "': " + e.getMessage());
        }
        return v;
    }

    private static ConfigNode required(ConfigNode connection, Map<String, ConfigNode> m, String field, String example)
            throws ConfigException {
        ConfigNode n = m.get(field);
        if (n == null) {
            throw new ConfigException(connection.file(), connection.line(), connection.path() + "." + field,
                    "required for an IKE-keyed connection (for example [" + example + "])");
        }
        if (n.sequence().isEmpty()) {
            throw n.error("at least one proposal is needed");
        }
        return n;
    }
}
