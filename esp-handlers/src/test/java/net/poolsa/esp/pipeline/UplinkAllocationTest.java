package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.IpsecProcessor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The uplink path, decode -> SAD lookup -> unprotect (anti-replay, ICV, decapsulation, the inner packet's decode and
 * selector check) -> emit, allocates nothing per packet but what the JDK's crypto allocates itself: the real stages
 * of {@link Pipelines#uplink}, driven with {@code fireChannelRead} as the capture does, on an event-loop kind of
 * thread, measured with the JVM's per-thread allocation counter (bytes, not time). The suites are HMAC-only (ESP-NULL
 * and AH), whose JDK share is one digest per packet, measured alike; SunJCE's AES also wants a parameter object per
 * packet, which would blur the count. Netty's leak detector is switched off for the test
 * (in paranoid mode it records every access to every buffer); the pooled allocator's recycled buffers are what
 * production uses.
 */
class UplinkAllocationTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");
    private static final int PACKETS = 4096;

    @ParameterizedTest
    @ValueSource(strings = {"esp-null-sha256", "ah-sha256"})
    void decodeLookupUnprotectAllocateNothing(String suite) throws InterruptedException {
        // In paranoid mode every buffer records each access; the data path runs without the detector.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            // On a thread of the kind the data plane's event loop runs on (Netty's recycler pools buffer objects there).
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread t = new DefaultThreadFactory("allocation-test").newThread(() -> {
                try {
                    measure(suite);
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            t.start();
            t.join();
            if (failed.get() instanceof AssertionError a) {
                throw a;
            }
            assertNull(failed.get());
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private void measure(String suite) {
        boolean ah = suite.startsWith("ah");
        SaKeys keys = ah ? new SaKeys("none", null, "hmac-sha2-256-128", new byte[32])
                : new SaKeys("null", null, "hmac-sha2-256-128", new byte[32]);
        SecurityAssociation out = sa(ManualSas.outbound(0x5101, 1, GW_A, GW_B, NET_A, NET_B, keys), ah);
        SecurityAssociation in = sa(ManualSas.inbound(0x5101, 1, GW_B, GW_A, NET_B, NET_A, keys), ah);
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        kernel.addSa(in);
        Map<DropReason, Integer> drops = new HashMap<>();
        DataPathListener listener = (reason, sa) -> drops.merge(reason, 1, Integer::sum);
        long[] emitted = new long[1];
        EmbeddedChannel uplink = new EmbeddedChannel();
        uplink.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                emitted[0]++;
                ((ByteBuf) msg).release();
            }
        });
        Pipelines.uplink(uplink.pipeline(), kernel, new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener),
                PathEvidence.NONE, listener);

        // Distinct sequence numbers, so every packet is new to the window; sealed before measuring.
        IpsecProcessor sender = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, listener);
        ByteBuf inner = udp4("192.0.2.1", "192.0.2.65", 200);
        ByteBuf[] sealed = new ByteBuf[3 * PACKETS];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = sender.protect(out, inner, OuterAddress.parse("198.51.100.1"), OuterAddress.parse("198.51.100.2"));
            assertNotNull(sealed[i], drops::toString);
        }
        inner.release();

        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = -1;
        for (int round = 0; round < 3; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = round * PACKETS; i < (round + 1) * PACKETS; i++) {
                uplink.pipeline().fireChannelRead(sealed[i]);
            }
            allocated = mx.getCurrentThreadAllocatedBytes() - before; // rounds 0-1 warm up the JIT and the pools
        }
        assertEquals(Map.of(), drops);
        assertEquals(3L * PACKETS, emitted[0], "every packet decapsulated and emitted");
        // SunJCE's HMAC allocates its inner digest in doFinal (once per packet here): the JDK's, measured alike. Beyond
        // it, less than one byte per packet (pool bookkeeping now and then): no object is made per packet, since the
        // smallest object takes 16 bytes.
        long jdk = jdkHmacFinishBytes(PACKETS);
        assertTrue(allocated - jdk < PACKETS, "bytes allocated by " + PACKETS + " packets through decode, lookup and unprotect: "
                + allocated + ", of which the JDK's HMAC " + jdk);
        uplink.finishAndReleaseAll();
    }

    /** The same SA with the protocol of the suite (ManualSas makes ESP). */
    private static SecurityAssociation sa(SecurityAssociation esp, boolean ah) {
        return SecurityAssociation.builder().spi(esp.spi()).reqid(esp.reqid()).direction(esp.direction())
                .protocol(ah ? IpsecProtocol.AH : IpsecProtocol.ESP).mode(SaMode.TUNNEL).localOuter(esp.localOuter())
                .remoteOuter(esp.remoteOuter()).selector(esp.selector()).keys(esp.keys()).build();
    }

    private static ByteBuf udp4(String src, String dst, int size) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(28 + size).writeShort(1).writeShort(0x4000).writeByte(64).writeByte(17)
                .writeShort(0).writeInt(OuterAddress.parse(src).v4Bits()).writeInt(OuterAddress.parse(dst).v4Bits());
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(5000).writeShort(6000).writeShort(8 + size).writeShort(0).writeZero(size);
        return b;
    }

    /** Bytes the JDK's own HMAC-SHA-256 allocates for {@code n} update + doFinal rounds on this thread, warmed up. */
    private static long jdkHmacFinishBytes(int n) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
            byte[] data = new byte[300];
            byte[] out = new byte[32];
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long bytes = 0;
            for (int round = 0; round < 3; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < n; i++) {
                    mac.update(data, 0, data.length);
                    mac.doFinal(out, 0);
                }
                bytes = mx.getCurrentThreadAllocatedBytes() - before;
            }
            return bytes;
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
