package net.poolsa.appliance.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.appliance.config.ConnectionConfig.Authentication;
import net.poolsa.appliance.config.ConnectionConfig.Certificates;
import net.poolsa.appliance.config.ConnectionConfig.DpdAction;
import net.poolsa.appliance.config.ConnectionConfig.DpdConfig;
import net.poolsa.appliance.config.ConnectionConfig.Psk;
import net.poolsa.esp.path.PathTimers;

/**
 * The IKE part of a connection in the YAML configuration: dead peer detection and authentication
 * (pre-shared key file, or certificate, private key and CAs), validated as {@link ConfigLoader} reads the connection.
 * Refusals are {@link ConfigException}s naming file, line and field. Proposals and the other IKE-only fields are
 * {@link IkeFields}' (checked by the IKE engine's own parser).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706">RFC 3706 (dead peer detection)</a>
 */
final class IkeConfigReader {
    /** Longest {@code dpd.delay} and {@code dpd.timeout}: a day. */
    static final long MAX_DPD_MILLIS = 86_400_000L;

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
        String v = n.string();
        long millis = v.chars().allMatch(Character::isDigit) && !v.isEmpty()
                ? n.integer(0, MAX_DPD_MILLIS / 1000) * 1000 : ConfigLoader.duration(n).toMillis();
        if (millis > MAX_DPD_MILLIS) {
            throw n.error("'" + v + "' is longer than a day");
        }
        return millis;
    }

    static Authentication authentication(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("psk-file", "certificate", "private-key", "ca"));
        if (m.containsKey("psk-file")) {
            if (m.size() > 1) {
                throw n.error("give either psk-file or certificate/private-key/ca, not both");
            }
            Path file = ConfigLoader.resolve(m.get("psk-file"));
            return new Psk(file, SecretFiles.readPsk(m.get("psk-file"), file));
        }
        Path cert = ConfigLoader.resolve(ConfigLoader.required(n, m, "certificate"));
        checkCertificate(m.get("certificate"), cert);
        Path key = ConfigLoader.resolve(ConfigLoader.required(n, m, "private-key"));
        String problem = SecretFiles.permissionProblem(key);
        if (problem != null) {
            throw m.get("private-key").error(problem);
        }
        List<Path> cas = new ArrayList<>();
        for (ConfigNode ca : ConfigLoader.required(n, m, "ca").sequence()) {
            Path p = ConfigLoader.resolve(ca);
            checkCertificate(ca, p);
            cas.add(p);
        }
        return new Certificates(cert, key, cas);
    }

    /** Parses the certificate with the JDK's X.509 factory, so a wrong file is caught before IKE needs it. */
    private static void checkCertificate(ConfigNode n, Path file) throws ConfigException {
        try (var in = Files.newInputStream(file)) {
            java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw n.error("cannot read certificate " + file + ": " + e.getMessage());
        } catch (java.security.cert.CertificateException e) {
            throw n.error(file + " is not an X.509 certificate (PEM or DER): " + e.getMessage());
        }
    }

    private IkeConfigReader() {
    }
}
