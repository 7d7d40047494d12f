package net.poolsa.appliance.wipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.management.HotSpotDiagnosticMXBean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;

/**
 * The cipher destroy paths of every algorithm the data path keeps (AES-CBC with HMAC-SHA-256 and -512, AES-GCM-16
 * with 128- and 256-bit keys, ChaCha20-Poly1305, 3DES-CBC with HMAC-SHA1, AH with HMAC-SHA-256): SA pairs carry
 * packets both ways, so every cipher and MAC has its key schedule, then {@link SecurityAssociation#kill()} (what the
 * SAD does when an SA is removed). A live heap dump of this JVM before the kill finds the keys in the forms the JDK
 * keeps them (the positive control: raw copies, AES key schedules as {@code int[]} starting with the key's words,
 * ChaCha20's state with the key as little-endian words, HMAC pads key XOR 0x36 / 0x5c); one after the kill finds
 * none of them. The test keeps its own copy of each key masked with a random pad, so that the dumps only see ours
 * where the code under test put them.
 */
class CipherWipeHeapDumpTest {
    private record Suite(String encryption, int encLength, String integrity, int intLength, IpsecProtocol protocol) {
        boolean aes() {
            return encryption.startsWith("aes");
        }

        /** Key bytes proper: AEAD key material ends in a 4-byte salt (RFC 4106, RFC 7634). */
        int cipherKeyLength() {
            return encryption.equals("aes-gcm-16") || encryption.equals("chacha20-poly1305") ? encLength - 4 : encLength;
        }
    }

    private static final List<Suite> SUITES = List.of(
            new Suite("aes-cbc", 16, "hmac-sha2-256-128", 32, IpsecProtocol.ESP),
            new Suite("aes-cbc", 32, "hmac-sha2-512-256", 64, IpsecProtocol.ESP),
            new Suite("aes-gcm-16", 20, "none", 0, IpsecProtocol.ESP),
            new Suite("aes-gcm-16", 36, "none", 0, IpsecProtocol.ESP),
            new Suite("chacha20-poly1305", 36, "none", 0, IpsecProtocol.ESP),
            new Suite("3des-cbc", 24, "hmac-sha1-96", 20, IpsecProtocol.ESP),
            new Suite("none", 0, "hmac-sha2-256-128", 32, IpsecProtocol.AH));

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** A key the test holds only XOR-masked. */
    private static final class MaskedKey {
        final byte[] masked;
        final byte[] mask;

        MaskedKey(int n) {
            mask = new byte[n];
            RANDOM.nextBytes(mask);
            masked = new byte[n];
            RANDOM.nextBytes(masked);
        }

        /** The key; the caller zeroes it. */
        byte[] open() {
            byte[] k = masked.clone();
            for (int i = 0; i < k.length; i++) {
                k[i] ^= mask[i];
            }
            return k;
        }
    }

    private record Sas(Suite suite, MaskedKey enc, MaskedKey integ, SecurityAssociation out, SecurityAssociation in) {
    }

    @Test
    void killedSasLeaveNoKeyScheduleInTheHeap() throws Exception {
        List<Sas> all = new ArrayList<>();
        IpsecProcessor tx = new IpsecProcessor(UnpooledByteBufAllocator.DEFAULT, (r, sa) -> { });
        IpsecProcessor rx = new IpsecProcessor(UnpooledByteBufAllocator.DEFAULT, (r, sa) -> { });
        int spi = 0x7000;
        for (Suite s : SUITES) {
            MaskedKey enc = new MaskedKey(s.encLength());
            MaskedKey integ = new MaskedKey(s.intLength());
            Sas p = new Sas(s, enc, integ, sa(s, Direction.OUTBOUND, spi, enc, integ), sa(s, Direction.INBOUND, spi, enc, integ));
            spi++;
            all.add(p);
            for (int i = 0; i < 3; i++) {
                ByteBuf inner = udp();
                ByteBuf outer = tx.protect(p.out(), inner, OuterAddress.parse("192.0.2.1"), OuterAddress.parse("198.51.100.1"));
                inner.release();
                assertNotNull(outer, s.toString());
                ByteBuf back = rx.unprotect(p.in(), outer);
                outer.release();
                assertNotNull(back, s.toString());
                back.release();
            }
        }

        List<String> missing = new ArrayList<>();
        HeapDump before = dump("alive");
        for (Sas p : all) {
            for (Map.Entry<String, byte[]> f : forms(p).entrySet()) {
                String expected = f.getKey().substring(f.getKey().indexOf('@') + 1);
                List<String> where = before.find(f.getValue());
                if (!where.contains(expected)) {
                    missing.add(p.suite() + " " + f.getKey() + " found in " + where);
                }
                Arrays.fill(f.getValue(), (byte) 0);
            }
        }
        before = null; // the dump's bytes hold the keys: not live for the next dump
        assertEquals(List.of(), missing, "positive control: every form is in the heap while the SAs live");

        for (Sas p : all) {
            p.out().kill();
            p.in().kill();
        }
        HeapDump after = dump("killed");
        List<String> left = new ArrayList<>();
        for (Sas p : all) {
            for (Map.Entry<String, byte[]> f : forms(p).entrySet()) {
                List<String> where = after.find(f.getValue());
                if (!where.isEmpty()) {
                    left.add(p.suite() + " " + f.getKey() + " found in " + where);
                }
            }
        }
        assertEquals(List.of(), left, "key material left after the SAs were killed");
    }

    /**
     * The forms to look for, named {@code what@holder} with the holder the positive control expects: raw keys in
     * byte[] (the SA's copies), AES schedules in int[], ChaCha20's key words (little-endian) in int[], HMAC pads.
     */
    private static Map<String, byte[]> forms(Sas p) {
        Map<String, byte[]> f = new LinkedHashMap<>();
        Suite s = p.suite();
        if (s.encLength() > 0) {
            byte[] k = p.enc().open();
            f.put("encryption key@byte[]", k);
            byte[] key = Arrays.copyOf(k, s.cipherKeyLength());
            if (s.aes()) {
                f.put("AES key schedule@int[]", key);
            } else if (s.encryption().equals("chacha20-poly1305")) {
                byte[] le = new byte[key.length];
                for (int i = 0; i < key.length; i++) {
                    le[i] = key[i - i % 4 + 3 - i % 4];
                }
                f.put("ChaCha20 state@int[]", le);
                Arrays.fill(key, (byte) 0);
            } else {
                Arrays.fill(key, (byte) 0);
            }
        }
        if (s.intLength() > 0) {
            byte[] k = p.integ().open();
            f.put("integrity key@byte[]", k);
            f.put("HMAC inner pad@byte[]", HeapDump.xor(k, 0x36));
            f.put("HMAC outer pad@byte[]", HeapDump.xor(k, 0x5c));
        }
        return f;
    }


    private static SecurityAssociation sa(Suite s, Direction d, int spi, MaskedKey enc, MaskedKey integ) {
        byte[] e = enc.open();
        byte[] i = integ.open();
        try {
            AddressPool a = AddressPool.parse("192.0.2.0/24");
            AddressPool b = AddressPool.parse("198.51.100.0/24");
            return SecurityAssociation.builder().spi(spi).protocol(s.protocol()).mode(SaMode.TUNNEL).direction(d)
                    .localOuter(d == Direction.OUTBOUND ? a : b).remoteOuter(d == Direction.OUTBOUND ? b : a)
                    .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                    .keys(new SaKeys(s.encryption(), e, s.integrity(), i)).build();
        } finally {
            Arrays.fill(e, (byte) 0);
            Arrays.fill(i, (byte) 0);
        }
    }

    /** An IPv4/UDP packet 203.0.113.10 -> 203.0.113.200 with a correct header checksum (UDP checksum 0). */
    private static ByteBuf udp() {
        ByteBuf b = Unpooled.buffer(20 + 8 + 32);
        b.writeByte(0x45).writeByte(0).writeShort(60).writeShort(1).writeShort(0x4000).writeByte(64).writeByte(17)
                .writeShort(0).writeInt(0xCB00710A).writeInt(0xCB0071C8);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += b.getUnsignedShort(i);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        b.setShort(10, ~sum & 0xFFFF);
        b.writeShort(40000).writeShort(9).writeShort(40).writeShort(0).writeZero(32);
        return b;
    }

    /** A live-object heap dump of this JVM (a full GC first), read and deleted. */
    private HeapDump dump(String name) throws Exception {
        Path file = dir.resolve(name + ".hprof");
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(file.toString(), true);
        assertTrue(Files.size(file) > 1_000_000);
        try {
            return HeapDump.read(file);
        } finally {
            Files.delete(file);
        }
    }
}
