package net.poolsa.esp.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.crypto.ReplayingRandom;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.ip.Reassembler;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.MtuSettings;
import net.poolsa.esp.pipeline.Pipelines;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.Test;

/**
 * The transforms' randomness comes from one injectable {@link RandomSource}, so a capture can be replayed: given
 * the random bytes behind scapy's (the first outer IPv4 identification, and blocks whose encryption under the SA's key
 * is scapy's CBC IVs), poolsa writes scapy's packets byte for byte (replay-capture.txt, made by replay_capture.py: AES-CBC-128 + HMAC-SHA2-256-128 tunnels), through the
 * processor and through the cleartext pipeline, whose IPv6 fragment identifications come from the same source.
 */
class CaptureReplayTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Map<String, byte[]> CAPTURE = load();
    private static final SaKeys KEYS = new SaKeys("aes-cbc", HEX.parseHex("000102030405060708090a0b0c0d0e0f"),
            "hmac-sha2-256-128", HEX.parseHex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"));
    /** What scapy was given: 12 34 56 78 (the first IPv4 identification is its low half), then the three IVs. */
    private static final byte[] SCAPY_STREAM = HEX.parseHex("12345678" + "00112233445566778899aabbccddeeff"
            + "f0e1d2c3b4a5968778695a4b3c2d1e0f" + "0123456789abcdeffedcba9876543210");
    /** What poolsa draws for the same packets: its CBC IV is the drawn block encrypted under the SA's key. */
    private static final byte[] STREAM = drawnFor(SCAPY_STREAM);

    private final List<DropReason> drops = new ArrayList<>();
    private final DataPathListener listener = (reason, sa) -> drops.add(reason);

    @Test
    void theProcessorWritesTheCapturedPacketsGivenTheCapturedRandomBytes() {
        IpsecProcessor processor = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener, ReplayingRandom.of(STREAM));
        SecurityAssociation sa = SecurityAssociation.builder().spi(0x1001).direction(Direction.OUTBOUND)
                .localOuter(AddressPool.parse("192.0.2.0/24")).remoteOuter(AddressPool.parse("198.51.100.0/24"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(KEYS).build();
        for (int i = 0; i < 3; i++) {
            ByteBuf inner = Unpooled.wrappedBuffer(CAPTURE.get("inner4-" + i));
            ByteBuf out = processor.protect(sa, inner, OuterAddress.parse("192.0.2.1"), OuterAddress.parse("198.51.100.7"));
            assertNotNull(out, drops::toString);
            assertArrayEquals(CAPTURE.get("esp4-" + i), ByteBufUtil.getBytes(out), "packet " + i);
            out.release();
            inner.release();
        }
        sa.kill();
    }

    @Test
    void thePipelineReplaysTooAndItsFragmentIdentificationsFollowTheSource() {
        List<ByteBuf> first = fragmentsOfTheCapturedInner(STREAM);
        assertEquals(2, first.size(), "the 1424-byte outer packet is fragmented for the 1280-byte path");
        Reassembler reassembler = new Reassembler(PooledByteBufAllocator.DEFAULT, listener, 4, 4, Long.MAX_VALUE);
        assertNull(reassembler.offer(first.get(0).retainedDuplicate(), 0));
        ByteBuf whole = reassembler.offer(first.get(1).retainedDuplicate(), 0);
        assertNotNull(whole, drops::toString);
        assertArrayEquals(CAPTURE.get("esp6"), ByteBufUtil.getBytes(whole), "reassembled, the packet scapy wrote");
        whole.release();

        List<ByteBuf> again = fragmentsOfTheCapturedInner(STREAM);
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(ByteBufUtil.getBytes(first.get(i)), ByteBufUtil.getBytes(again.get(i)), "fragment " + i + " replayed");
        }
        byte[] other = STREAM.clone();
        other[0] ^= 1; // the protect stage's secrets change; the transform's IV bytes stay
        List<ByteBuf> changed = fragmentsOfTheCapturedInner(other);
        IpPacketView a = new IpPacketView();
        IpPacketView b = new IpPacketView();
        assertNull(a.decode(first.get(0)));
        assertNull(b.decode(changed.get(0)));
        assertTrue(a.isFragment() && b.isFragment());
        assertNotEquals(a.identification(), b.identification(), "the fragment identification comes from the source");
        for (List<ByteBuf> l : List.of(first, again, changed)) {
            l.forEach(ByteBuf::release);
        }
        assertEquals(List.of(), drops);
    }

    /** The captured IPv4 packet through a cleartext pipeline whose protector and protect stage use {@code stream}. */
    private List<ByteBuf> fragmentsOfTheCapturedInner(byte[] stream) {
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        AddressPool local = AddressPool.parse("2001:db8:ff::1/128");
        AddressPool remote = AddressPool.parse("2001:db8:ff::2/128");
        TrafficSelector ts = TrafficSelector.between(AddressPool.parse("192.0.2.0/26"), AddressPool.parse("192.0.2.64/26"));
        kernel.addSa(SecurityAssociation.builder().spi(0x1001).reqid(1).direction(Direction.OUTBOUND).localOuter(local)
                .remoteOuter(remote).selector(ts).keys(KEYS).currentLocal(OuterAddress.parse("2001:db8:ff::1"))
                .currentRemote(OuterAddress.parse("2001:db8:ff::2")).build());
        kernel.addPolicy(SecurityPolicy.protect("a-b", ts, 1));
        EmbeddedChannel clear = new EmbeddedChannel();
        RandomSource random = ReplayingRandom.of(stream);
        Pipelines.cleartext(clear.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener, random),
                new MtuSettings(1280, null, null, 100), listener, random);
        clear.writeInbound(Unpooled.copiedBuffer(CAPTURE.get("inner6")));
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf f; (f = clear.readOutbound()) != null; ) {
            out.add(f);
        }
        assertFalse(clear.finish());
        return out;
    }

    /** {@code scapy} with each IV (the 16-byte blocks after the first 4 bytes) decrypted under the SA's key. */
    private static byte[] drawnFor(byte[] scapy) {
        try {
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEYS.encryptionKey(), "AES"));
            byte[] drawn = scapy.clone();
            aes.doFinal(scapy, 4, scapy.length - 4, drawn, 4);
            return drawn;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, byte[]> load() {
        Map<String, byte[]> m = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                CaptureReplayTest.class.getResourceAsStream("/transform/replay-capture.txt"), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    String[] f = line.split(" ");
                    m.put(f[0], HEX.parseHex(f[1]));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
