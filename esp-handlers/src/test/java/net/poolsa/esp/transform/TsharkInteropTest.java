package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.UdpEncapsulation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tshark (Wireshark's ESP dissector, an implementation nobody here wrote) decrypts and ICV-checks the packets we
 * produce: for every algorithm tshark 4.0 knows (AES-GCM-16, AES-CBC, 3DES-CBC, DES-CBC, NULL; HMAC-SHA1-96,
 * HMAC-SHA-256-128/384-192/512-256; not ChaCha20-Poly1305, which it lacks, and not ESN, which its SA table
 * cannot express) in tunnel (v4/v6 mixes), transport and UDP-encapsulated form. Every packet must show
 * {@code esp.icv_good} and its decrypted inner UDP payload must equal ours. tshark is installed on the build
 * machines (Debian package {@code tshark}).
 */
@Tag("root")
class TsharkInteropTest {
    private record Case(Suite suite, String encName, String authName, SaMode mode, String[] addrs, UdpEncapsulation encap,
                        int spi, byte[] payload) {
    }

    @Test
    void tsharkDecryptsAndVerifiesOurPackets(@TempDir Path dir) throws Exception {
        net.poolsa.esp.crypto.LegacyAlgorithms.allowDes(true);
        try {
            run(dir);
        } finally {
            net.poolsa.esp.crypto.LegacyAlgorithms.allowDes(false);
        }
    }

    private void run(Path dir) throws Exception {
        List<Case> cases = new ArrayList<>();
        String gcm = "AES-GCM with 16 octet ICV [RFC4106]";
        String cbc = "AES-CBC [RFC3602]";
        String tdes = "TripleDES-CBC [RFC2451]";
        Object[][] suites = {
            {GCM128, gcm, "NULL"}, {GCM256, gcm, "NULL"},
            {CBC128_SHA256, cbc, "HMAC-SHA-256-128 [RFC4868]"}, {CBC256_SHA384, cbc, "HMAC-SHA-384-192 [RFC4868]"},
            {CBC256_SHA512, cbc, "HMAC-SHA-512-256 [RFC4868]"}, {CBC128_SHA1, cbc, "HMAC-SHA-1-96 [RFC2404]"},
            {TDES_SHA1, tdes, "HMAC-SHA-1-96 [RFC2404]"}, {NULL_SHA256, "NULL", "HMAC-SHA-256-128 [RFC4868]"},
            {DES_SHA1, "DES-CBC [RFC2405]", "HMAC-SHA-1-96 [RFC2404]"},
        };
        int spi = 0x5000;
        for (Object[] s : suites) {
            Suite suite = (Suite) s[0];
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TUNNEL, new String[] {IN4_SRC, IN4_DST, OUT4_A, OUT4_B}, null, spi++, payload(61)));
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TUNNEL, new String[] {IN6_SRC, IN6_DST, OUT4_A, OUT4_B}, null, spi++, payload(500)));
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TUNNEL, new String[] {IN4_SRC, IN4_DST, OUT6_A, OUT6_B}, null, spi++, payload(1)));
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TRANSPORT, new String[] {OUT4_A, OUT4_B, OUT4_A, OUT4_B}, null, spi++, payload(33)));
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TRANSPORT, new String[] {OUT6_A, OUT6_B, OUT6_A, OUT6_B}, null, spi++, payload(1200)));
            cases.add(new Case(suite, (String) s[1], (String) s[2], SaMode.TUNNEL, new String[] {IN4_SRC, IN4_DST, OUT4_A, OUT4_B},
                    UdpEncapsulation.NAT_T, spi++, payload(77)));
        }
        IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, (r, sa) -> fail("dropped " + r));
        List<byte[]> packets = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        for (Case c : cases) {
            Pair p = Packets.pair(IpsecProtocol.ESP, c.mode(), c.suite(), c.spi(), false, c.encap());
            ByteBuf in = Unpooled.wrappedBuffer(udp(c.addrs()[0], c.addrs()[1], 40000, 9, c.payload()));
            for (int i = 0; i < 2; i++) { // two packets: sequence 1 and 2, fresh IVs
                ByteBuf out = proc.protect(p.out(), in, addr(c.addrs()[2]), addr(c.addrs()[3]));
                packets.add(bytes(out));
                out.release();
            }
            in.release();
            String family = c.addrs()[2].contains(":") ? "IPv6" : "IPv4";
            table.append(String.format("\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"%s\",\"%s\",\"%s\"%n", family,
                    c.addrs()[2], c.addrs()[3], c.spi(), c.encName(), hexKey(c.suite().encKey()), c.authName(), hexKey(c.suite().integKey())));
        }
        Path pcap = dir.resolve("esp.pcap");
        PcapFile.write(pcap, packets);
        Path conf = dir.resolve("wireshark");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("esp_sa"), table.toString());
        List<String> lines = tshark(conf, pcap);
        assertEquals(packets.size(), lines.size(), () -> String.join("\n", lines));
        for (int i = 0; i < lines.size(); i++) {
            Case c = cases.get(i / 2);
            String[] f = lines.get(i).split("\t", -1);
            String where = c.suite() + " " + c.mode() + " " + String.join(",", c.addrs()) + " encap=" + c.encap() + ": " + lines.get(i);
            assertEquals(String.format("0x%08x", c.spi()), f[0], where);
            assertEquals(Integer.toString(i % 2 + 1), f[1], where);
            assertTrue(f[2].equals("1") || f[2].equalsIgnoreCase("true"), "icv_good " + where);
            assertTrue(f[3].isEmpty() || f[3].equals("0") || f[3].equalsIgnoreCase("false"), "icv_bad " + where);
            assertEquals(HEX.formatHex(c.payload()), f[4].replace(":", ""), "decrypted payload " + where);
        }
    }

    private static String hexKey(byte[] k) {
        return k.length == 0 ? "" : "0x" + HEX.formatHex(k);
    }

    private static List<String> tshark(Path conf, Path pcap) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                "-d", "udp.port==9,data", "-Y", "esp",
                "-T", "fields", "-E", "occurrence=l", "-e", "esp.spi", "-e", "esp.sequence", "-e", "esp.icv_good",
                "-e", "esp.icv_bad", "-e", "data.data");
        pb.environment().put("WIRESHARK_CONFIG_DIR", conf.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, proc.exitValue(), out);
        return out.lines().toList();
    }
}
