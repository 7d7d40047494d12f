package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.CBC128_SHA256;
import static net.poolsa.esp.transform.Packets.GCM128;
import static net.poolsa.esp.transform.Packets.HEX;
import static net.poolsa.esp.transform.Packets.OUT4_A;
import static net.poolsa.esp.transform.Packets.OUT4_B;
import static net.poolsa.esp.transform.Packets.OUT6_A;
import static net.poolsa.esp.transform.Packets.OUT6_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Needs {@code /usr/bin/python3} with Debian's python3-scapy. The ESP dummy packet path monitoring sends after a move
 * of its own (RFC 4303 §2.6: next header 59, no payload), opened by scapy.layers.ipsec (an ESP implementation nobody
 * on poolsa wrote): scapy verifies its ICV and decrypts it to next header 59 with nothing after the trailer, over IPv4
 * and IPv6 outer headers, AES-GCM-16 (the demo's proposal) and AES-CBC with HMAC-SHA-256-128. Our own receiver takes
 * it as an authentic dummy.
 */
class DummyPacketScapyTest {
    private static final String SCRIPT = String.join("\n",
            "import sys, warnings",
            "warnings.filterwarnings('ignore')",
            "from scapy.layers.inet import IP",
            "from scapy.layers.inet6 import IPv6",
            "from scapy.layers.ipsec import ESP, SecurityAssociation",
            "crypt = {'aes-gcm-16': 'AES-GCM', 'aes-cbc': 'AES-CBC'}",
            "auth = {'none': None, 'hmac-sha2-256-128': 'SHA2-256-128'}",
            "for line in open(sys.argv[1]):",
            "    spi, enc, ekey, integ, ikey, pkt = line.split()",
            "    b = bytes.fromhex(pkt)",
            "    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)",
            "    sa = SecurityAssociation(ESP, spi=int(spi), crypt_algo=crypt[enc], crypt_key=bytes.fromhex(ekey),",
            "                             auth_algo=auth[integ], auth_key=bytes.fromhex(ikey) if ikey != '-' else None)",
            "    seq = p[ESP].seq",
            "    r = sa.decrypt(p)",  // verifies the ICV; without a tunnel header it keeps the outer one, naming next header
            "    nh = r.proto if r.version == 4 else r.nh",
            "    print('OPENED', r.src, r.dst, seq, nh, len(bytes(r.payload)))",
            "");

    @Test
    void scapyOpensOurDummyPacketsToNextHeader59AndNothingElse(@TempDir Path dir) throws Exception {
        StringBuilder cases = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        int spi = 0x7001;
        for (Packets.Suite suite : List.of(GCM128, CBC128_SHA256)) {
            for (String[] path : List.of(new String[] {OUT4_A, OUT4_B}, new String[] {OUT6_A, OUT6_B})) {
                Packets.Drops drops = new Packets.Drops();
                IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
                IpsecProcessor receiver = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
                Packets.Pair p = Packets.pair(IpsecProtocol.ESP, SaMode.TUNNEL, suite, spi, false, null);
                p.out().setCurrentPath(Packets.addr(path[0]), Packets.addr(path[1]));
                for (int seq = 1; seq <= 2; seq++) {
                    ByteBuf dummy = sender.dummy(p.out());
                    cases.append(Integer.toUnsignedLong(spi)).append(' ').append(suite.enc()).append(' ')
                            .append(HEX.formatHex(suite.encKey())).append(' ').append(suite.integ()).append(' ')
                            .append(suite.integKeyLen() == 0 ? "-" : HEX.formatHex(suite.integKey())).append(' ')
                            .append(ByteBufUtil.hexDump(dummy)).append('\n');
                    expected.append("OPENED ").append(path[0]).append(' ').append(path[1]).append(' ').append(seq)
                            .append(" 59 0\n");
                    assertNull(receiver.unprotect(p.in(), dummy));
                    assertTrue(receiver.openedDummy(), suite + " " + path[0] + ": our receiver took it as an authentic dummy");
                    dummy.release();
                }
                assertEquals(List.of(DropReason.DUMMY_PACKET, DropReason.DUMMY_PACKET), drops.reasons);
                spi++;
            }
        }
        Path input = dir.resolve("dummies.txt");
        Files.writeString(input, cases);
        Path script = dir.resolve("open_dummies.py");
        Files.writeString(script, SCRIPT);
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), input.toString());
        pb.redirectErrorStream(true);
        Process py = pb.start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(60, TimeUnit.SECONDS), "scapy did not finish");
        assertEquals(0, py.exitValue(), out);
        assertEquals(expected.toString(), out);
    }
}
