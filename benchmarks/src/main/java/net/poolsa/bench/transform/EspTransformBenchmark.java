package net.poolsa.bench.transform;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * ns per packet for ESP/AH tunnel-mode seal ({@link IpsecProcessor#protect}) and open ({@link IpsecProcessor#unprotect}),
 * IPv4 in IPv4, per algorithm and inner packet size. Open cycles through pre-sealed packets on an inbound SA
 * whose anti-replay check is off (window 0), so the window is still updated but repeats are not dropped.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EspTransformBenchmark {
    private static final int RING = 256;

    @Param({"aes128gcm", "aes256gcm", "chacha20poly1305", "aes128cbc-sha256", "aes256cbc-sha512", "aes128cbc-sha1",
            "3des-sha1", "null-sha256", "ah-sha256"})
    public String algorithm;

    @Param({"64", "512", "1400", "9000"})
    public int size;

    /** "direct" (Netty's default pooled direct buffers) or "heap" (pooled heap buffers). */
    @Param({"direct"})
    public String buffers;

    private IpsecProcessor processor;
    private SecurityAssociation out;
    private SecurityAssociation in;
    private ByteBuf inner;
    private final ByteBuf[] sealed = new ByteBuf[RING];
    private int next;
    private OuterAddress src;
    private OuterAddress dst;

    @Setup(Level.Trial)
    public void setUp() {
        ByteBufAllocator alloc = buffers.equals("heap") ? new PooledByteBufAllocator(false) : PooledByteBufAllocator.DEFAULT;
        processor = new IpsecProcessor(alloc, DropListener.NONE);
        src = OuterAddress.parse("192.0.2.1");
        dst = OuterAddress.parse("198.51.100.1");
        out = sa(Direction.OUTBOUND, keys());
        in = sa(Direction.INBOUND, keys());
        inner = Unpooled.directBuffer(size).writeBytes(ipv4Udp(size));
        for (int i = 0; i < RING; i++) {
            sealed[i] = processor.protect(out, inner, src, dst);
            if (sealed[i] == null) {
                throw new IllegalStateException("protect dropped a packet of " + algorithm);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf b : sealed) {
            b.release();
        }
        inner.release();
        out.kill();
        in.kill();
    }

    @Benchmark
    public int seal() {
        ByteBuf b = processor.protect(out, inner, src, dst);
        int n = b.readableBytes();
        b.release();
        return n;
    }

    @Benchmark
    public int open() {
        ByteBuf b = processor.unprotect(in, sealed[next++ & (RING - 1)]);
        int n = b.readableBytes();
        b.release();
        return n;
    }

    private SaKeys keys() {
        switch (algorithm) {
            case "aes128gcm": return new SaKeys("aes-gcm-16", key(20), "none", null);
            case "aes256gcm": return new SaKeys("aes-gcm-16", key(36), "none", null);
            case "chacha20poly1305": return new SaKeys("chacha20-poly1305", key(36), "none", null);
            case "aes128cbc-sha256": return new SaKeys("aes-cbc", key(16), "hmac-sha2-256-128", key(32));
            case "aes256cbc-sha512": return new SaKeys("aes-cbc", key(32), "hmac-sha2-512-256", key(64));
            case "aes128cbc-sha1": return new SaKeys("aes-cbc", key(16), "hmac-sha1-96", key(20));
            case "3des-sha1": return new SaKeys("3des-cbc", key(24), "hmac-sha1-96", key(20));
            case "null-sha256": return new SaKeys("null", null, "hmac-sha2-256-128", key(32));
            case "ah-sha256": return new SaKeys("none", null, "hmac-sha2-256-128", key(32));
            default: throw new IllegalArgumentException(algorithm);
        }
    }

    private SecurityAssociation sa(Direction d, SaKeys keys) {
        AddressPool a = AddressPool.parse("192.0.2.0/24");
        AddressPool b = AddressPool.parse("198.51.100.0/24");
        return SecurityAssociation.builder().spi(0x1234).direction(d)
                .protocol(algorithm.startsWith("ah") ? IpsecProtocol.AH : IpsecProtocol.ESP).mode(SaMode.TUNNEL)
                .localOuter(d == Direction.OUTBOUND ? a : b).remoteOuter(d == Direction.OUTBOUND ? b : a)
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(keys)
                .extendedSequenceNumbers(true).replayWindow(d == Direction.INBOUND ? 0 : 1024).build();
    }

    private static byte[] key(int n) {
        byte[] k = new byte[n];
        for (int i = 0; i < n; i++) {
            k[i] = (byte) (i * 31 + 7);
        }
        return k;
    }

    /** An IPv4/UDP packet of {@code total} bytes (203.0.113.1 -> 203.0.113.2), valid header checksum. */
    private static byte[] ipv4Udp(int total) {
        byte[] p = new byte[total];
        p[0] = 0x45;
        p[2] = (byte) (total >>> 8);
        p[3] = (byte) total;
        p[8] = 64;
        p[9] = 17;
        p[12] = (byte) 203; p[13] = 0; p[14] = 113; p[15] = 1;
        p[16] = (byte) 203; p[17] = 0; p[18] = 113; p[19] = 2;
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int c = ~sum & 0xffff;
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        p[20] = 0x13; p[21] = (byte) 0x88; p[22] = 0x00; p[23] = 0x09;
        p[24] = (byte) ((total - 20) >>> 8);
        p[25] = (byte) (total - 20);
        for (int i = 28; i < total; i++) {
            p[i] = (byte) i;
        }
        return p;
    }
}
