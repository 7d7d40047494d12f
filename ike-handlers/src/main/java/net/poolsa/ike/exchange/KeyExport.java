package net.poolsa.ike.exchange;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.esp.sa.SecurityAssociation;

/**
 * TEST ONLY: writes the keys of what the engine negotiates in the formats tshark reads, so that a test can have
 * tshark decrypt our IKE messages and ESP packets. Off unless the system property {@value #PROPERTY} names a
 * directory; then {@code ikev1_decryption_table} gets one {@code ICOOKIE,KEY} line per IKE SA and {@code esp_sa}
 * one line per ESP SA (addresses as wildcards, since pool SAs have many). Never enable it on a gateway that
 * protects anything: the files hold live keys.
 *
 * @see <a href="https://www.wireshark.org/docs/wsug_html_chunked/ChIPsecPreferences.html">Wireshark IPsec/ISAKMP preferences</a>
 */
public final class KeyExport {
    public static final String PROPERTY = "poolsa.ike.keyExportDir";
    private static final Logger LOG = LoggerFactory.getLogger(KeyExport.class);
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;

    private KeyExport(Path dir) {
        this.dir = dir;
    }

    /** From the system property, or disabled. */
    public static KeyExport fromSystemProperty() {
        String d = System.getProperty(PROPERTY);
        if (d == null || d.isBlank()) {
            return new KeyExport(null);
        }
        LOG.warn("event=ike_key_export dir={} (test-only: IKE and ESP keys are written to files)", d);
        return new KeyExport(Path.of(d));
    }

    public boolean enabled() {
        return dir != null;
    }

    /** The phase-1 encryption key of the IKE SA with {@code initiatorCookie}; the key array is wiped here. */
    void ike(long initiatorCookie, byte[] key) {
        try {
            if (dir != null) {
                append("ikev1_decryption_table", String.format("%016x,%s%n", initiatorCookie, HEX.formatHex(key)));
            }
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    /** An installed ESP SA, if tshark knows its algorithms. */
    void esp(SecurityAssociation sa, InetAddress family) {
        if (dir == null) {
            return;
        }
        String enc = encryptionName(sa.keys().encryptionAlgorithm());
        String auth = authName(sa.keys().integrityAlgorithm());
        if (enc == null || auth == null) {
            return;
        }
        byte[] ik = sa.keys().integrityKey();
        append("esp_sa", String.format("\"%s\",\"*\",\"*\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"%s\"%n",
                family instanceof Inet6Address ? "IPv6" : "IPv4", sa.spi(), enc, HEX.formatHex(sa.keys().encryptionKey()),
                auth, ik.length == 0 ? "" : "0x" + HEX.formatHex(ik)));
    }

    private static String encryptionName(String ours) {
        switch (ours) {
            case "aes-gcm-16":
                return "AES-GCM with 16 octet ICV [RFC4106]";
            case "aes-cbc":
                return "AES-CBC [RFC3602]";
            case "3des-cbc":
                return "TripleDES-CBC [RFC2451]";
            case "null":
                return "NULL";
            default:
                return null;
        }
    }

    private static String authName(String ours) {
        switch (ours) {
            case "none":
                return "NULL";
            case "hmac-sha1-96":
                return "HMAC-SHA-1-96 [RFC2404]";
            case "hmac-sha2-256-128":
                return "HMAC-SHA-256-128 [RFC4868]";
            case "hmac-sha2-384-192":
                return "HMAC-SHA-384-192 [RFC4868]";
            case "hmac-sha2-512-256":
                return "HMAC-SHA-512-256 [RFC4868]";
            default:
                return null;
        }
    }

    private synchronized void append(String file, String line) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file), line, StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("event=ike_key_export_failed file={} error=\"{}\"", dir.resolve(file), e.toString());
        }
    }
}
