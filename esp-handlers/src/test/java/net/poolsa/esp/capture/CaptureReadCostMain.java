package net.poolsa.esp.capture;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import net.poolsa.esp.emit.PacketSink;
import net.poolsa.esp.event.DropListener;
import org.pcap4j.core.PcapHandle;

/**
 * Benchmark tool, not a test (needs root): what reading a capture costs the event loop per packet, a capture reading
 * its own TPACKET_V2 ring against one reading through libpcap's {@code pcap_next_ex} (immediate mode, the default
 * before), measured in one run on the same packets: two captures of {@code lo} with the same filter, each on its own
 * epoll loop, see every datagram a sender thread sends to 127.0.0.1 at about {@code rate} a second. Both loops' CPU
 * time (ThreadMXBean) divided by the packets each read gives the cost per packet; on a shared, noisy machine the ratio
 * is what to read, as both captures ran under the same load at the same time. Usage:
 * {@code java -cp CP net.poolsa.esp.capture.CaptureReadCostMain [size] [seconds] [rounds] [rate]}.
 */
public final class CaptureReadCostMain {
    private static final PacketSink NOWHERE = new PacketSink() {
        @Override
        public void send(ByteBuf packet) {
            packet.release();
        }

        @Override
        public void flush() {
        }
    };

    private CaptureReadCostMain() {
    }

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        double secs = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 50_000;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int round = 1; round <= rounds; round++) {
            try (DatagramChannel rx = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                 DatagramChannel tx = DatagramChannel.open()) {
                int port = ((InetSocketAddress) rx.getLocalAddress()).getPort();
                String filter = "udp and dst port " + port;
                Reader ring = new Reader("ring", filter, true);
                Reader pcap = new Reader("libpcap", filter, false);
                AtomicBoolean sending = new AtomicBoolean(true);
                AtomicLong sent = new AtomicLong();
                Thread sender = new Thread(() -> send(tx, port, size, rate, sending, sent), "capture-cost-sender");
                Thread drainer = new Thread(() -> drain(rx, sending), "capture-cost-drainer");
                drainer.setDaemon(true);
                drainer.start();
                sender.start();
                Thread.sleep(1000); // warm-up: JIT, rings touched
                long cpuRing0 = mx.getThreadCpuTime(ring.thread.getId());
                long cpuPcap0 = mx.getThreadCpuTime(pcap.thread.getId());
                long nRing0 = ring.packets.get();
                long nPcap0 = pcap.packets.get();
                long sent0 = sent.get();
                Thread.sleep((long) (secs * 1000));
                double usRing = (mx.getThreadCpuTime(ring.thread.getId()) - cpuRing0) / 1e3;
                double usPcap = (mx.getThreadCpuTime(pcap.thread.getId()) - cpuPcap0) / 1e3;
                long nRing = ring.packets.get() - nRing0;
                long nPcap = pcap.packets.get() - nPcap0;
                long s = sent.get() - sent0;
                sending.set(false);
                sender.join(2000);
                double perRing = usRing / Math.max(1, nRing);
                double perPcap = usPcap / Math.max(1, nPcap);
                System.out.printf("round %d: sent %d; ring read %d, %.3f us CPU per packet; libpcap read %d, %.3f us;"
                                + " ring / libpcap %.2f; kernel drops ring %d, libpcap %d%n", round, s, nRing, perRing, nPcap,
                        perPcap, perRing / perPcap, ring.channel.kernelDrops(), pcap.channel.kernelDrops());
                ring.close();
                pcap.close();
            }
        }
    }

    private static void send(DatagramChannel tx, int port, int size, int rate, AtomicBoolean sending, AtomicLong sent) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", port);
        long period = 1_000_000_000L * 32 / rate; // a burst of 32, like a read batch
        long next = System.nanoTime();
        try {
            while (sending.get()) {
                for (int i = 0; i < 32; i++) {
                    b.clear();
                    tx.send(b, to);
                }
                sent.addAndGet(32);
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void drain(DatagramChannel rx, AtomicBoolean sending) {
        ByteBuffer b = ByteBuffer.allocateDirect(65536);
        try {
            while (sending.get()) {
                b.clear();
                rx.receive(b);
            }
        } catch (java.io.IOException e) {
            // closed at the end of the round
        }
    }

    private static final class Reader {
        final SingleThreadEventLoop loop;
        final PcapChannel channel;
        final AtomicLong packets = new AtomicLong();
        final Thread thread;

        Reader(String name, String filter, boolean ownRing) throws Exception {
            loop = PolledChannel.newEventLoop(new DefaultThreadFactory("capture-cost-" + name, true));
            channel = new PcapChannel("lo", filter, PcapHandle.PcapDirection.IN, NOWHERE, DropListener.NONE, true);
            if (!ownRing) {
                System.setProperty(PcapChannel.RING_PROPERTY, "false");
            }
            try {
                channel.open();
            } finally {
                System.clearProperty(PcapChannel.RING_PROPERTY);
            }
            if (channel.readsItsOwnRing() != ownRing) {
                throw new IllegalStateException(name + ": own ring " + channel.readsItsOwnRing());
            }
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ((ByteBuf) msg).release();
                    packets.lazySet(packets.get() + 1);
                }
            });
            loop.register(channel).sync();
            thread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        }

        void close() throws InterruptedException {
            channel.close().sync();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
