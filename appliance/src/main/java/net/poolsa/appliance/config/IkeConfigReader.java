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

/**
 * The IKE part of a connection in the YAML configuration: proposals, dead peer detection and authentication
 * (pre-shared key file, or certificate, private key and CAs), validated as {@link ConfigLoader} reads the connection.
 * Refusals are {@link ConfigException}s naming file, line and field.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc7296#section-3.3">RFC 7296 §3.3 (proposals)</a>
 */
final class IkeConfigReader {
    /** Proposal keywords as strongSwan spells them; the IKE module maps them to transform IDs. */
    private static final Set<String> PROPOSAL_WORDS = Set.of(
            "aes128", "aes192", "aes256", "aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305", "3des",
            "sha1", "sha256", "sha384", "sha512", "prfsha1", "prfsha256", "prfsha384", "prfsha512",
            "modp2048", "modp3072", "modp4096", "modp6144", "modp8192", "ecp256", "ecp384", "ecp521",
            "curve25519", "curve448", "esn", "noesn");

    static List<String> proposals(ConfigNode n) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (ConfigNode p : n.sequence()) {
            String v = p.string().toLowerCase(java.util.Locale.ROOT);
            for (String word : v.split("-")) {
                if (!PROPOSAL_WORDS.contains(word)) {
                    throw p.error("'" + word + "' in proposal '" + v + "' is not a known algorithm keyword");
                }
            }
            out.add(v);
        }
        return out;
    }

    static DpdConfig dpd(ConfigNode n) throws ConfigException {
        Map<String, ConfigNode> m = n.mapping(Set.of("delay", "timeout", "action"));
        int delay = (int) ConfigLoader.required(n, m, "delay").integer(0, 86400);
        int timeout = m.containsKey("timeout") ? (int) m.get("timeout").integer(0, 86400) : delay * 5;
        if (delay > 0 && timeout < delay) {
            throw m.get("timeout").error("timeout " + timeout + " s is shorter than the delay " + delay + " s");
        }
        DpdAction action = m.containsKey("action")
                ? DpdAction.valueOf(m.get("action").oneOf("clear", "restart", "trap").toUpperCase(java.util.Locale.ROOT))
                : DpdAction.CLEAR;
        return new DpdConfig(delay, timeout, action);
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
