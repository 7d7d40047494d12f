package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.appliance.config.ConnectionConfig.Authentication;
import net.poolsa.appliance.config.ConnectionConfig.Certificates;
import net.poolsa.appliance.config.ConnectionConfig.DpdAction;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.Psk;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.auth.CredentialException;
import net.poolsa.ike.auth.Identity;
import net.poolsa.ike.auth.LocalCredentials;
import net.poolsa.ike.auth.RevocationPolicy;
import net.poolsa.ike.auth.TrustStore;
import net.poolsa.esp.path.PathTimers;

/**
 * The IKE part of a connection in the YAML configuration: dead peer detection and authentication
 * (pre-shared key file, or certificate, private key, CAs, CRLs, identities and granted pools), validated as
 * {@link ConfigLoader} reads the connection.
 * Refusals are {@link ConfigException}s naming file, line and field. Proposals and the other IKE-only fields are
 * {@link IkeFields}' (checked by the IKE engine's own parser).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706">RFC 3706 (dead peer detection)</a>
 */
final class IkeConfigReader {
    /** Longest {@code dpd.delay} and {@code dpd.timeout}: a day. */
    static final long MAX_DPD_MILLIS = 86_400_000L;

    /** Shortest {@code ike.nat-keepalive} (other than 0, off): no NAT forgets a mapping within a second. */
    static final long MIN_NAT_KEEPALIVE_MILLIS = 1000;
    /** Longest {@code ike.nat-keepalive}: an hour, far past the UDP timeout of any NAT (often 30 to 120 s). */
    static final long MAX_NAT_KEEPALIVE_MILLIS = 3_600_000L;

    /**
     * The top-level {@code ike:} mapping: {@code nat-keepalive} (RFC 3948 §2.3), a duration ({@code 20s}, {@code 1m};
     * a bare number is seconds, as strongSwan's {@code charon.keep_alive}), 0 for none, default 20 s.
     */
    static IkeSettings settings(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("nat-keepalive"));
        long keepalive = IkeSettings.DEFAULT_NAT_KEEPALIVE_MILLIS;
        if (m.containsKey("nat-keepalive")) {
            ConfigNode k = m.get("nat-keepalive");
            keepalive = secondsOrDuration(k, MAX_NAT_KEEPALIVE_MILLIS, "an hour");
            if (keepalive > 0 && keepalive < MIN_NAT_KEEPALIVE_MILLIS) {
                throw k.error("nat-keepalive " + keepalive + " ms is below the minimum of " + MIN_NAT_KEEPALIVE_MILLIS
                        + " ms (0 sends none)");
            }
        }
        return new IkeSettings(keepalive);
    }

    /**
     * {@code dpd:} of a connection (null when the block is absent). An IKE-keyed connection has DPD by default, with
     * the timers of {@code data-path.failover}: R-U-THEREs every {@code idle-probe-interval}, the peer dead after
     * {@code detect-multiplier} of them without answer (RFC 3706 answers are the evidence that keeps its paths up).
     * {@code delay: 0} turns it off. Durations as elsewhere ({@code 200ms}, {@code 1s}); a bare number is seconds, as
     * swanctl's {@code dpd_delay}. A manually keyed connection has none.
     */
    static DpdConfig dpd(ConfigNode n, PathTimers failover, boolean ike) throws ConfigException {
        if (n == null) {
            return ike ? new DpdConfig(failover.idleProbeInterval().toMillis(),
                    failover.idleDetectionTime().toMillis(), DpdAction.CLEAR) : DpdConfig.OFF;
        }
        Map<String, ConfigNode> m = n.mapping(Set.of("delay", "timeout", "action"));
        long delay = m.containsKey("delay") ? dpdMillis(m.get("delay")) : failover.idleProbeInterval().toMillis();
        if (delay > 0 && delay < PathTimers.MIN_PROBE_INTERVAL.toMillis()) {
            throw m.get("delay").error("delay " + delay + " ms is below the minimum of "
                    + PathTimers.MIN_PROBE_INTERVAL.toMillis() + " ms (0 turns DPD off)");
        }
        long timeout = m.containsKey("timeout") ? dpdMillis(m.get("timeout")) : delay * failover.detectMultiplier();
        if (delay > 0 && timeout < delay) {
            throw m.get("timeout").error("timeout " + timeout + " ms is shorter than the delay " + delay + " ms");
        }
        DpdAction action = m.containsKey("action")
                ? DpdAction.valueOf(m.get("action").oneOf("clear", "restart", "trap").toUpperCase(java.util.Locale.ROOT))
                : DpdAction.CLEAR;
        if (action == DpdAction.TRAP && ike) {
            throw m.get("action").error("trap is not a DPD action of IKE connections; use clear (with start-action: "
                    + "trap, traffic negotiates the tunnel again) or restart (negotiate again at once)");
        }
        return new DpdConfig(delay, timeout, action);
    }

    private static long dpdMillis(ConfigNode n) throws ConfigException {
        return secondsOrDuration(n, MAX_DPD_MILLIS, "a day");
    }

    /** A bare number of seconds or a duration ({@code 200ms}, {@code 5s}, {@code 2m}), at most {@code max} ms. */
    private static long secondsOrDuration(ConfigNode n, long max, String maxText) throws ConfigException {
        String v = n.string();
        long millis = v.chars().allMatch(Character::isDigit) && !v.isEmpty()
                ? n.integer(0, max / 1000) * 1000 : ConfigLoader.duration(n).toMillis();
        if (millis > max) {
            throw n.error("'" + v + "' is longer than " + maxText);
        }
        return millis;
    }

    static Authentication authentication(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("psk-file", "certificate", "private-key", "ca", "crl", "local-id",
                "remote-id", "granted-pools", "revocation"));
        if (m.containsKey("psk-file")) {
            if (m.size() > 1) {
                throw n.error("give either psk-file or certificate/private-key/ca, not both");
            }
            Path file = ConfigLoader.resolve(m.get("psk-file"));
            return new Psk(file, SecretFiles.readPsk(m.get("psk-file"), file));
        }
        return certificates(n, m);
    }

    // ---- certificate authentication (RFC 2409 §5.1, RFC 3554 §4) ----

    /**
     * The certificate keys: every file is read and checked here, so that check-config names the file, line and
     * field of a certificate that is unreadable or expired, a key that does not match it, a CA that is not one, a
     * CRL its CA did not sign. The private key is read once, into the credentials the engine signs with; its
     * bytes are zeroed after parsing and never logged.
     */
    private static Certificates certificates(ConfigNode n, Map<String, ConfigNode> m) throws ConfigException {
        ConfigNode certNode = ConfigLoader.required(n, m, "certificate");
        ConfigNode keyNode = ConfigLoader.required(n, m, "private-key");
        Path cert = ConfigLoader.resolve(certNode);
        Path key = ConfigLoader.resolve(keyNode);
        String problem = SecretFiles.permissionProblem(key);
        if (problem != null) {
            throw keyNode.error(problem);
        }
        LocalCredentials ours;
        try {
            ours = LocalCredentials.load(cert, key);
        } catch (CredentialException e) {
            throw (key.equals(e.file()) ? keyNode : certNode).error(e.getMessage());
        }
        X509Certificate own = ours.certificate();
        Date now = new Date();
        if (own.getNotAfter().before(now)) {
            throw certNode.error(cert + ": our certificate '" + own.getSubjectX500Principal().getName() + "' expired at "
                    + own.getNotAfter().toInstant() + "; every peer would refuse it");
        }
        if (own.getNotBefore().after(now)) {
            throw certNode.error(cert + ": our certificate '" + own.getSubjectX500Principal().getName()
                    + "' is not valid before " + own.getNotBefore().toInstant() + "; every peer would refuse it");
        }
        List<ConfigNode> caNodes = ConfigLoader.required(n, m, "ca").sequence();
        if (caNodes.isEmpty()) {
            throw m.get("ca").error("at least one CA certificate file is needed to validate the peer's certificate");
        }
        List<ConfigNode> crlNodes = m.containsKey("crl") ? m.get("crl").sequence() : List.of();
        List<Path> cas = paths(caNodes);
        List<Path> crls = paths(crlNodes);
        TrustStore trust;
        try {
            trust = TrustStore.load(cas, crls);
        } catch (CredentialException e) {
            int i = cas.indexOf(e.file());
            throw (i >= 0 ? caNodes.get(i) : crlNodes.get(crls.indexOf(e.file()))).error(e.getMessage());
        }
        String localId = identity(m.get("local-id"), ours::identification);
        String remoteId = identity(m.get("remote-id"), Identity::parse);
        AddressPool granted = m.containsKey("granted-pools") ? m.get("granted-pools").pool() : AddressPool.EMPTY;
        RevocationPolicy revocation = m.containsKey("revocation")
                ? (m.get("revocation").oneOf("check-configured", "require-crl").equalsIgnoreCase("require-crl")
                        ? RevocationPolicy.REQUIRE_CRL : RevocationPolicy.CHECK_CONFIGURED)
                : RevocationPolicy.CHECK_CONFIGURED;
        return new Certificates(cert, key, cas, crls, localId, remoteId, granted, revocation, ours, trust);
    }

    /** The identity written at {@code n} (null if absent), refused at its line when {@code check} refuses it. */
    private static String identity(ConfigNode n, java.util.function.Consumer<String> check) throws ConfigException {
        if (n == null) {
            return null;
        }
        String id = n.string();
        try {
            check.accept(id);
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
        return id;
    }

    private static List<Path> paths(List<ConfigNode> nodes) throws ConfigException {
        List<Path> out = new ArrayList<>();
        for (ConfigNode c : nodes) {
            out.add(ConfigLoader.resolve(c));
        }
        return out;
    }

    private IkeConfigReader() {
    }
}
