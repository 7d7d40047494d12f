package net.poolsa.esp.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoop;
import net.poolsa.esp.emit.RawSocketEmitter;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.ip.Checksums;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;

/**
 * Needs root (libpcap on {@code lo}, raw sockets). Everything stays on loopback: UDP datagrams sent by an
 * ordinary socket must come out of the channel as the IP packets the kernel built; packets written to the
 * channel must reach an ordinary UDP socket.
 */
@Tag("root")
class PcapChannelTest {
    /**
     * The three ways a capture reads: libpcap's TPACKET_V3 blocks (not immediate), libpcap in immediate mode
     * (TPACKET_V2, {@code -Dpoolsa.capture.ring=false}), and its own TPACKET_V2 ring (immediate, the default): the
     * same IP packets, byte for byte, as the kernel built them.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"libpcap", "libpcap-immediate", "ring"})
    void capturesIntoThePipelineAndEmitsWrites(String reader) throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> batches = new LinkedBlockingQueue<>();
        try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket tx = new DatagramSocket();
             RawSocketEmitter emitter = new RawSocketEmitter(DropListener.NONE)) {
            rx.setSoTimeout(3000);
            int port = rx.getLocalPort();
            PcapChannel ch = new PcapChannel("lo", "udp and dst port " + port + " and udp[8] = 0x41",
                    PcapHandle.PcapDirection.IN, emitter, DropListener.NONE, !reader.equals("libpcap"));
            openWithRing(ch, reader.equals("ring"));
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                int n;

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    got.add(ByteBufUtil.getBytes(b));
                    b.release();
                    n++;
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    batches.add(n);
                }
            });
            loop.register(ch).sync();
            Thread.sleep(200); // the capture thread opens its ring before we send
            byte[] payload = "A-hello".getBytes();
            for (int i = 0; i < 5; i++) {
                tx.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("127.0.0.1"), port));
            }
            for (int i = 0; i < 5; i++) {
                byte[] ip = got.poll(3, TimeUnit.SECONDS);
                assertTrue(ip != null, "packet " + i + " captured");
                assertEquals(0x45, ip[0] & 0xff);
                assertEquals(28 + payload.length, ip.length); // link header stripped, exactly the IP packet
                assertArrayEquals(payload, Arrays.copyOfRange(ip, 28, ip.length));
                rx.receive(new DatagramPacket(new byte[64], 64)); // drain the socket copy
            }
            // channelReadComplete follows the last read of a batch on the loop thread: wait for it.
            assertTrue(batches.poll(3, TimeUnit.SECONDS) != null, "a read batch ended");

            // Writing: an IPv4/UDP packet written to the channel leaves through the raw socket.
            ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer();
            byte[] pl = "B-out".getBytes();
            out.writeByte(0x45).writeByte(0).writeShort(28 + pl.length).writeShort(0).writeShort(0);
            out.writeByte(64).writeByte(17).writeShort(0).writeInt(0x7f000001).writeInt(0x7f000001);
            Checksums.writeIpv4HeaderChecksum(out, 0);
            out.writeShort(1234).writeShort(port).writeShort(8 + pl.length).writeShort(0).writeBytes(pl);
            ch.writeAndFlush(out).sync();
            DatagramPacket p = new DatagramPacket(new byte[64], 64);
            rx.receive(p);
            assertArrayEquals(pl, Arrays.copyOf(p.getData(), p.getLength()));
            ch.close().sync();
            assertTrue(ch.captured() >= 5);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * On an epoll event loop ({@link PolledChannel#newEventLoop}) the loop's own epoll_wait watches the capture: no
     * waker thread, reads on the loop thread, and a backlog read in full batches (level-triggered: the source is
     * reported again while packets wait), all of them, in order.
     */
    @Test
    void anEpollLoopReadsTheCaptureItselfWithoutAWakerThread() throws Exception {
        io.netty.channel.SingleThreadEventLoop loop =
                PolledChannel.newEventLoop(new io.netty.util.concurrent.DefaultThreadFactory("h18c-epoll-test", true));
        assertTrue(loop instanceof io.netty.channel.IoEventLoop, "Netty's native epoll is available on Linux x86_64");
        int count = 300;
        BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> batchSizes = new LinkedBlockingQueue<>();
        try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket tx = new DatagramSocket();
             RawSocketEmitter emitter = new RawSocketEmitter(DropListener.NONE)) {
            int port = rx.getLocalPort();
            PcapChannel ch = new PcapChannel("lo", "udp and dst port " + port + " and udp[8] = 0x44",
                    PcapHandle.PcapDirection.IN, emitter, DropListener.NONE, true);
            ch.open();
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                int n;

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    if (!loop.inEventLoop()) {
                        got.add(-1); // read off the loop thread: fails the order check below
                    }
                    got.add(b.getInt(b.readerIndex() + 29));
                    b.release();
                    n++;
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    batchSizes.add(n);
                    n = 0;
                }
            });
            loop.register(ch).sync();
            Thread.sleep(200);
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                assertTrue(!t.getName().equals("poll-lo") || !t.isAlive(), "no waker thread on an epoll loop");
            }
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            loop.execute(() -> {
                busy.countDown();
                try {
                    release.await(5, TimeUnit.SECONDS); // the loop is busy
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // The epoll loop reads what is ready before it runs its tasks: send only once the busy task runs.
            assertTrue(busy.await(3, TimeUnit.SECONDS), "the loop runs the busy task");
            for (int i = 0; i < count; i++) {
                byte[] payload = java.nio.ByteBuffer.allocate(5).put((byte) 0x44).putInt(i).array();
                tx.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("127.0.0.1"), port));
            }
            Thread.sleep(300);
            assertTrue(got.isEmpty(), "nothing read while the loop is busy");
            release.countDown();
            for (int i = 0; i < count; i++) {
                assertEquals(i, got.poll(3, TimeUnit.SECONDS), "packet " + i);
            }
            ch.close().sync();
            assertEquals(0, ch.kernelDrops());
            int total = 0;
            int largest = 0;
            for (Integer n : batchSizes) {
                total += n;
                largest = Math.max(largest, n);
            }
            assertEquals(count, total);
            assertEquals(PolledChannel.MAX_BATCH, largest, "the backlog is read in full batches: " + batchSizes);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * An "in" capture is not handed the frames this host sends ({@code PACKET_IGNORE_OUTGOING}): on an uplink those
     * are all the ESP packets the gateway sends, which its filter passes, so the kernel used to copy each into the
     * ring and wake the reader for libpcap to skip it. On {@code lo} every datagram crosses the interface twice, out
     * and in: the kernel's count of frames put into the ring must be the datagrams captured, not twice as many.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "own ring: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void anInboundCaptureIsNotHandedTheFramesThisHostSends(boolean ownRing) throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
        try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket tx = new DatagramSocket();
             RawSocketEmitter emitter = new RawSocketEmitter(DropListener.NONE)) {
            int port = rx.getLocalPort();
            PcapChannel ch = new PcapChannel("lo", "udp and dst port " + port + " and udp[8] = 0x43",
                    PcapHandle.PcapDirection.IN, emitter, DropListener.NONE, true);
            openWithRing(ch, ownRing);
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    got.add(b.getInt(b.readerIndex() + 29));
                    b.release();
                }
            });
            loop.register(ch).sync();
            Thread.sleep(200); // the ring is open before we send
            int count = 20;
            for (int i = 0; i < count; i++) {
                byte[] payload = java.nio.ByteBuffer.allocate(5).put((byte) 0x43).putInt(i).array();
                tx.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("127.0.0.1"), port));
                if (i == count - 2) {
                    for (int k = 0; k <= i; k++) {
                        assertEquals(k, got.poll(3, TimeUnit.SECONDS), "datagram " + k);
                    }
                    // The statistics are sampled at most once a second, after a read: the last datagram's read samples them.
                    Thread.sleep(1100);
                }
            }
            assertEquals(count - 1, got.poll(3, TimeUnit.SECONDS), "the last datagram");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (ch.kernelReceived() < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(count, ch.captured());
            assertEquals(count, ch.kernelReceived(), "frames the kernel put into the ring (twice as many: the outgoing copies too)");
            ch.close().sync();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Backpressure: while the event loop is busy, nothing is read and nothing is dropped; the kernel ring
     * holds the packets, and once the loop is free they all arrive, in order, in batches of at most
     * {@link PolledChannel#MAX_BATCH}, read on the loop thread itself.
     */
    @Test
    void aBusyLoopDelaysReadsWithoutDroppingAndReadsOnTheLoopThread() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        int count = 300;
        BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> batchSizes = new LinkedBlockingQueue<>();
        try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket tx = new DatagramSocket();
             RawSocketEmitter emitter = new RawSocketEmitter(DropListener.NONE)) {
            int port = rx.getLocalPort();
            PcapChannel ch = new PcapChannel("lo", "udp and dst port " + port + " and udp[8] = 0x42",
                    PcapHandle.PcapDirection.IN, emitter, DropListener.NONE, true);
            ch.open();
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                int n;

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    if (!loop.inEventLoop()) {
                        got.add(-1); // read off the loop thread: fails the order check below
                    }
                    got.add(b.getInt(b.readerIndex() + 29)); // the sequence number after the 'B' marker
                    b.release();
                    n++;
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    batchSizes.add(n);
                    n = 0;
                }
            });
            loop.register(ch).sync();
            Thread.sleep(200); // the ring is open before we send
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            loop.execute(() -> {
                try {
                    release.await(5, TimeUnit.SECONDS); // the loop is busy
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < count; i++) {
                byte[] payload = java.nio.ByteBuffer.allocate(5).put((byte) 0x42).putInt(i).array();
                tx.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("127.0.0.1"), port));
            }
            Thread.sleep(300);
            assertTrue(got.isEmpty(), "nothing read while the loop is busy");
            release.countDown();
            for (int i = 0; i < count; i++) {
                Integer seq = got.poll(3, TimeUnit.SECONDS);
                assertEquals(i, seq, "packet " + i);
            }
            ch.close().sync();
            assertEquals(0, ch.kernelDrops());
            int total = 0;
            int largest = 0;
            for (Integer n : batchSizes) {
                total += n;
                largest = Math.max(largest, n);
            }
            assertEquals(count, total);
            assertEquals(PolledChannel.MAX_BATCH, largest, "the backlog is read in full batches: " + batchSizes);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Captures that join one PACKET_FANOUT group while traffic flows hand each frame to the data plane once: a socket
     * receives every frame of its interface from activation until it joins, and the group's sockets receive those
     * frames too, so a join after the capture's filter was set (as before) put frames in two captures (an ESP packet
     * then dropped as a replay, a probe reply refused as already answered: a counted "unsupported" drop in
     * InboundPolicyApplianceTest). Four captures join one by one under ~tens of thousands of numbered datagrams a
     * second on {@code lo}; no number may come out of two captures (or twice out of one).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "own rings: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void capturesJoiningAFanoutGroupUnderTrafficTakeEachFrameOnce(boolean ownRings) throws Exception {
        int captures = 4;
        java.util.List<DefaultEventLoop> loops = new java.util.ArrayList<>();
        java.util.List<PcapChannel> channels = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentHashMap<Integer, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean sending = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             DatagramSocket tx = new DatagramSocket();
             RawSocketEmitter emitter = new RawSocketEmitter(DropListener.NONE)) {
            int port = rx.getLocalPort();
            Thread sender = new Thread(() -> {
                byte[] b = new byte[5];
                b[0] = 0x46;
                try {
                    InetAddress to = InetAddress.getByName("127.0.0.1");
                    while (sending.get()) {
                        int n = sent.getAndIncrement();
                        b[1] = (byte) (n >>> 24);
                        b[2] = (byte) (n >>> 16);
                        b[3] = (byte) (n >>> 8);
                        b[4] = (byte) n;
                        tx.send(new DatagramPacket(b, b.length, to, port));
                        if (n % 8 == 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000); // tens of thousands a second, not a spin
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "fanout-test-sender");
            sender.setDaemon(true);
            sender.start();
            int group = -1;
            for (int i = 0; i < captures; i++) {
                Thread.sleep(100); // traffic flows while each capture opens and joins
                PcapChannel ch = new PcapChannel("lo", "udp and dst port " + port + " and udp[8] = 0x46",
                        PcapHandle.PcapDirection.IN, emitter, DropListener.NONE, true);
                channels.add(ch);
                if (!ownRings) {
                    System.setProperty(PcapChannel.RING_PROPERTY, "false");
                }
                try {
                    group = ch.openInFanout(group);
                } finally {
                    System.clearProperty(PcapChannel.RING_PROPERTY);
                }
                assertEquals(ownRings, ch.readsItsOwnRing());
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        seen.merge(b.getInt(b.readerIndex() + 29), 1, Integer::sum);
                        b.release();
                    }
                });
                DefaultEventLoop loop = new DefaultEventLoop();
                loops.add(loop);
                loop.register(ch).sync();
            }
            Thread.sleep(300);
            sending.set(false);
            sender.join(5000);
            Thread.sleep(500); // the captures read what is left
            java.util.List<Integer> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(java.util.Map.Entry::getKey)
                    .sorted().limit(20).toList();
            assertTrue(seen.size() > 1000, "captured " + seen.size() + " of " + sent.get() + " datagrams");
            assertEquals(java.util.List.of(), twice, "datagrams captured more than once (first 20), of " + seen.size()
                    + " captured, " + sent.get() + " sent");
            for (PcapChannel ch : channels) {
                ch.close().sync();
            }
        } finally {
            sending.set(false);
            for (DefaultEventLoop l : loops) {
                l.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    /**
     * A capture keeps reading after its interface went down and came back up, on an epoll loop (read from the loop's
     * own epoll_wait) as with a waker thread. Taking an interface down unbinds its AF_PACKET sockets and sets ENETDOWN
     * on them (the kernel binds them again at the up); epoll then reports EPOLLERR with nothing to read, and the epoll
     * read used to take that for a dead descriptor and stop reading for good (FailoverApplianceTest's path never came
     * back). Numbered datagrams cross a veth pair inside a namespace of the test's own, the capture's interface goes
     * down and up under them, and datagrams sent after the up must reach the pipeline; while the interface is down,
     * the loop must not spin on the error (epoll wake-ups that read nothing stay few).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "epoll loop: {0}, own ring: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"true, true", "true, false", "false, true", "false, false"})
    void aCaptureReadsAgainAfterItsInterfaceWentDownAndUp(boolean epoll, boolean ownRing) throws Exception {
        io.netty.channel.SingleThreadEventLoop loop = epoll
                ? PolledChannel.newEventLoop(new io.netty.util.concurrent.DefaultThreadFactory("h19r-updown", true))
                : new DefaultEventLoop();
        if (epoll) {
            assertTrue(loop instanceof io.netty.channel.IoEventLoop, "epoll loops by default where Netty's epoll is available");
        }
        java.util.concurrent.ExecutorService inNs = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "in-h19r-cap"));
        java.util.concurrent.atomic.AtomicBoolean sending = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger lastSeen = new java.util.concurrent.atomic.AtomicInteger(-1);
        PcapChannel ch = null;
        net.poolsa.esp.netns.Netns ns = net.poolsa.esp.netns.Netns.create("h19r-cap");
        try {
            vethTowardsNobody(ns, "h19r-a", "h19r-b", inNs);
            PcapChannel c = new PcapChannel("h19r-a", "udp and dst port 9 and udp[8] = 0x47",
                    PcapHandle.PcapDirection.IN, DISCARD, DropListener.NONE, true);
            ch = c;
            inNs.submit(() -> {
                openWithRing(c, ownRing); // the capture socket belongs to the namespace of the thread that opens it
                return null;
            }).get(10, TimeUnit.SECONDS);
            c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    lastSeen.accumulateAndGet(b.getInt(b.readerIndex() + 29), Math::max);
                    b.release();
                }
            });
            loop.register(c).sync();
            inNs.execute(() -> {
                try (DatagramSocket tx = new DatagramSocket()) {
                    byte[] b = new byte[5];
                    b[0] = 0x47;
                    InetAddress to = InetAddress.getByName("198.51.100.2");
                    while (sending.get()) {
                        int n = sent.get();
                        java.nio.ByteBuffer.wrap(b, 1, 4).putInt(n);
                        try {
                            tx.send(new DatagramPacket(b, b.length, to, 9));
                        } catch (java.io.IOException e) {
                            // the link is down: the datagram is lost, the next one goes when it is up
                        }
                        sent.incrementAndGet();
                        Thread.sleep(1);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitSeen(lastSeen, 50, "datagrams captured before the link went down");
            ns.exec("ip", "link", "set", "h19r-a", "down");
            Thread.sleep(200);
            int before = c.emptyWakeups();
            Thread.sleep(500);
            int spun = c.emptyWakeups() - before;
            ns.exec("ip", "link", "set", "h19r-a", "up");
            Thread.sleep(100); // the veth pair's carrier comes back
            int afterUp = sent.get();
            awaitSeen(lastSeen, afterUp + 50, "datagrams captured after the link came back up (sent " + sent.get() + ")");
            assertTrue(spun < 20, spun + " wake-ups with nothing read in 500 ms while the link was down: a spin on the error");
            assertTrue(c.isOpen(), "the capture is still open");
        } finally {
            sending.set(false);
            if (ch != null) {
                ch.close().sync();
            }
            inNs.shutdownNow();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            ns.close();
        }
    }

    /**
     * The ring's frames are as long as the interface's packets (MTU 1500 here), not 9 KB each: a packet's reads and
     * the kernel's look-ahead for room then touch 4096 frames of 1.6 KB instead of 32 MB. A frame longer than that
     * (the MTU raised after the capture opened) is counted, logged naming the interface, and handed on truncated, for
     * the decoder to drop as TRUNCATED (MalformedIpTest); the datagrams of the MTU the ring was sized for arrive whole.
     */
    @Test
    void theRingsFramesFollowTheInterfacesMtuAndALongerFrameIsCountedTruncated() throws Exception {
        java.util.concurrent.ExecutorService inNs = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "in-h20-mtu"));
        net.poolsa.esp.netns.Netns ns = net.poolsa.esp.netns.Netns.create("h20-mtu");
        PacketRxRing ring = null;
        io.netty.channel.embedded.EmbeddedChannel sink = new io.netty.channel.embedded.EmbeddedChannel();
        try {
            vethTowardsNobody(ns, "h20m-a", "h20m-b", inNs);
            PacketRxRing r = inNs.submit(() -> PacketRxRing.open("h20m-a", "udp and dst port 9", false,
                    PcapChannel.IMMEDIATE_SNAPLEN, PcapChannel.BUFFER_BYTES, false)).get(10, TimeUnit.SECONDS);
            ring = r;
            assertTrue(r.snaplen() >= 1500 + PacketRxRing.LINK_HEADROOM && r.snaplen() < 1600,
                    "frames for MTU 1500: " + r);
            ns.exec("ip", "link", "set", "h20m-a", "mtu", "4000");
            ns.exec("ip", "link", "set", "h20m-b", "mtu", "4000");
            inNs.submit(() -> {
                try (DatagramSocket tx = new DatagramSocket()) {
                    InetAddress to = InetAddress.getByName("198.51.100.2");
                    tx.send(new DatagramPacket(new byte[1472], 1472, to, 9)); // 1500 bytes of IP: whole
                    tx.send(new DatagramPacket(new byte[3000], 3000, to, 9)); // 3028: longer than the frames
                }
                return null;
            }).get(10, TimeUnit.SECONDS);
            java.util.List<Integer> lengths = new java.util.ArrayList<>();
            java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
            java.io.PrintStream err = System.err;
            System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8)); // slf4j-simple's output
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (lengths.size() < 2 && System.nanoTime() < deadline) {
                    if (r.read(sink.pipeline(), PooledByteBufAllocator.DEFAULT, 8) == 0) {
                        Thread.sleep(5);
                    }
                    for (ByteBuf b; (b = sink.readInbound()) != null; ) {
                        lengths.add(b.readableBytes());
                        b.release();
                    }
                }
            } finally {
                System.setErr(err);
            }
            assertEquals(java.util.List.of(1500, r.snaplen() - 14), lengths, "the whole datagram, then the truncated one");
            assertEquals(1, r.truncatedFrames());
            String logged = log.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(logged.contains("event=capture_truncated interface=h20m-a frame_bytes=3042 ring_frame_bytes="
                    + r.snaplen() + " suppressed=0") && logged.contains("raising the MTU of h20m-a"), logged);
        } finally {
            if (ring != null) {
                ring.close();
            }
            sink.finishAndReleaseAll();
            inNs.shutdownNow();
            ns.close();
        }
    }

    /**
     * A veth pair {@code captured}-{@code sender} in {@code ns}, the sender holding 198.51.100.1/24 and a neighbour entry
     * for 198.51.100.2, which no host owns: datagrams sent there from {@code ns} reach {@code captured} for another MAC
     * and go no further. {@code inNs}'s thread enters the namespace, so that the sockets it opens belong to it.
     */
    private static void vethTowardsNobody(net.poolsa.esp.netns.Netns ns, String captured, String sender,
                                          java.util.concurrent.ExecutorService inNs) throws Exception {
        ns.exec("ip", "link", "add", captured, "type", "veth", "peer", "name", sender);
        ns.exec("ip", "link", "set", captured, "up");
        ns.exec("ip", "link", "set", sender, "up");
        ns.exec("ip", "addr", "add", "198.51.100.1/24", "dev", sender);
        ns.exec("ip", "neigh", "add", "198.51.100.2", "lladdr", "02:00:00:00:00:02", "dev", sender);
        inNs.submit(() -> SetNs.enter(ns.name())).get(10, TimeUnit.SECONDS);
    }

    /** Opens {@code ch} with its own ring or with libpcap, and checks which one it got. */
    private static void openWithRing(PcapChannel ch, boolean ownRing) throws Exception {
        if (!ownRing) {
            System.setProperty(PcapChannel.RING_PROPERTY, "false");
        }
        try {
            ch.open();
        } finally {
            System.clearProperty(PcapChannel.RING_PROPERTY);
        }
        assertEquals(ownRing, ch.readsItsOwnRing(), "reads its own TPACKET ring");
    }

    /** Writes nowhere: the down/up test only reads. */
    private static final net.poolsa.esp.emit.PacketSink DISCARD = new net.poolsa.esp.emit.PacketSink() {
        @Override
        public void send(ByteBuf packet) {
            packet.release();
        }

        @Override
        public void flush() {
        }
    };

    private static void awaitSeen(java.util.concurrent.atomic.AtomicInteger lastSeen, int atLeast, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (lastSeen.get() < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(lastSeen.get() >= atLeast, what + ": the highest captured is " + lastSeen.get() + ", wanted " + atLeast);
    }

    /** setns(2) for the calling thread: sockets it opens afterwards belong to the namespace. */
    static final class SetNs {
        static {
            com.sun.jna.Native.register(SetNs.class, "c");
        }

        private SetNs() {
        }

        private static native int open(String path, int flags) throws com.sun.jna.LastErrorException;

        private static native int close(int fd) throws com.sun.jna.LastErrorException;

        private static native int setns(int fd, int nstype) throws com.sun.jna.LastErrorException;

        static Void enter(String netns) {
            int fd = open("/var/run/netns/" + netns, 0);
            try {
                setns(fd, 0x40000000); // CLONE_NEWNET
            } finally {
                close(fd);
            }
            return null;
        }
    }
}
