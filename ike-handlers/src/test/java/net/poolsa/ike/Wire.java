package net.poolsa.ike;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.UnaryOperator;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.ike.exchange.IkeNetwork;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.transport.InboundIkeDatagram;
import net.poolsa.ike.transport.OutboundIkeDatagram;
import net.poolsa.ike.transport.OutboundNatKeepalive;
import net.poolsa.ike.transport.PortRole;

/**
 * Two IKE engines back to back in one process: each {@link Side} is an {@link IkeNetwork} on its own addresses
 * (ports 500 and 4500), a {@link UserspaceIpsecKernel} and an engine; datagrams queue on the wire and reach the
 * other side only when the test calls {@link #flush}, which may drop, change or repeat them (a {@link Filter}).
 * Both sides share one {@link ManualScheduler}; randomness is seeded, so a run repeats byte for byte.
 */
final class Wire {
    /** What the wire does to one datagram: return it (maybe changed), or null to drop it. */
    interface Filter {
        Datagram apply(Datagram d);
    }

    /**
     * A datagram on the wire: the ISAKMP bytes (no non-ESP marker), between two socket addresses; or a NAT-keepalive,
     * whose bytes are its one octet 0xFF as on the wire.
     */
    record Datagram(InetSocketAddress from, InetSocketAddress to, byte[] bytes) {
        /** A NAT-keepalive (RFC 3948 §2.3): the one octet 0xFF, which no ISAKMP message can be. */
        boolean keepalive() {
            return bytes.length == 1 && (bytes[0] & 0xff) == 0xff;
        }

        boolean natT() {
            return to.getPort() == PortRole.NAT_T.standardPort();
        }

        /** The ISAKMP exchange type; -1 for a NAT-keepalive. */
        int exchangeType() {
            return keepalive() ? -1 : bytes[18] & 0xff;
        }

        boolean encrypted() {
            return !keepalive() && (bytes[19] & 1) != 0;
        }

        Datagram with(byte[] b) {
            return new Datagram(from, to, b);
        }
    }

    final ManualScheduler clock = new ManualScheduler();
    final List<Datagram> log = new ArrayList<>();
    private final Deque<Datagram> queue = new ArrayDeque<>();
    private final List<Side> sides = new ArrayList<>();
    /** Rewrites addresses as a NAT between the sides would, or drops the datagram by returning null (null: no NAT). */
    UnaryOperator<Datagram> nat;

    /** A gateway on {@code addresses}, with seeded randomness and the given timers. */
    Side side(String name, long seed, Timers timers, String... addresses) {
        return side(name, seed, timers, null, addresses);
    }

    /** A gateway whose Diffie-Hellman work runs on {@code crypto}; its results wait for {@link ManualScheduler#runPosted}. */
    Side side(String name, long seed, Timers timers, java.util.concurrent.Executor crypto, String... addresses) {
        Side s = new Side(name, seed, timers, crypto, addresses);
        sides.add(s);
        return s;
    }

    /**
     * {@code s} crashes: it receives nothing from now on and sends no Delete (a SIGKILL); its engine is left as it is.
     * A side added later on the same addresses is the restarted gateway.
     */
    void crash(Side s) {
        sides.remove(s);
    }

    /** Delivers queued datagrams (and what answering them queues) until the wire is quiet; returns how many went. */
    int flush() {
        return flush(d -> d);
    }

    int flush(Filter filter) {
        int n = 0;
        while (!queue.isEmpty()) {
            Datagram d = filter.apply(queue.poll());
            if (d != null) {
                deliver(d);
                n++;
            }
        }
        return n;
    }

    /** Lets virtual time pass, delivering what the timers send. */
    void advance(long millis) {
        clock.advance(millis, this::flush);
        flush();
    }

    /** Datagrams queued and not yet delivered. */
    List<Datagram> queued() {
        return List.copyOf(queue);
    }

    /** Takes the queued datagrams off the wire (the test delivers them itself, or not). */
    List<Datagram> take() {
        List<Datagram> out = List.copyOf(queue);
        queue.clear();
        return out;
    }

    void deliver(Datagram d) {
        Datagram seen = nat == null ? d : nat.apply(d);
        if (seen == null) {
            return; // the NAT dropped it
        }
        log.add(seen);
        if (seen.keepalive()) {
            return; // the receiving transport discards it (IkeDatagramDecoder); the engine never sees one
        }
        for (Side s : sides) {
            if (s.owns(seen.to().getAddress())) {
                ByteBuf content = Unpooled.wrappedBuffer(seen.bytes());
                try {
                    s.engine.core().received(new InboundIkeDatagram(seen.to(), seen.from(), content, seen.natT()));
                } finally {
                    content.release();
                }
                return;
            }
        }
    }

    final class Side implements IkeNetwork {
        final String name;
        final List<InetAddress> addresses = new ArrayList<>();
        final UserspaceIpsecKernel kernel;
        final CountingKernel counting;
        final RecordingEvents events = new RecordingEvents();
        final IkeEngine engine;
        /** Bytes the engine drew from its randomness (DH private values, nonces, cookie secrets ...). */
        long randomBytes;
        /** Datagrams the engine sent as expendable ({@link IkeNetwork#sendExpendable}). */
        final List<Datagram> expendable = new ArrayList<>();

        private Side(String name, long seed, Timers timers, java.util.concurrent.Executor crypto, String... addrs) {
            this.name = name;
            for (String a : addrs) {
                try {
                    addresses.add(InetAddress.getByName(a));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalArgumentException(a, e);
                }
            }
            java.util.Random spis = new java.util.Random(seed * 31 + 7);
            this.kernel = new UserspaceIpsecKernel(new SecurityAssociationDatabase(spis::nextInt));
            this.counting = new CountingKernel(kernel);
            java.util.Random r = new java.util.Random(seed);
            // synchronized: with a crypto pool the DH private values are drawn on its threads
            this.engine = IkeEngine.create(this, clock, counting, events, b -> {
                synchronized (r) {
                    randomBytes += b.length;
                    r.nextBytes(b);
                }
            }, timers, crypto);
        }

        boolean owns(InetAddress a) {
            return addresses.contains(a);
        }

        @Override
        public void send(OutboundIkeDatagram d) {
            try {
                queue.add(new Datagram(d.local(), d.remote(), ByteBufUtil.getBytes(d.content())));
            } finally {
                d.release();
            }
        }

        @Override
        public void sendExpendable(OutboundIkeDatagram d) {
            expendable.add(new Datagram(d.local(), d.remote(), ByteBufUtil.getBytes(d.content())));
            send(d);
        }

        /** A NAT-keepalive goes on the wire like any datagram (through the NAT, to the log), from a NAT-T socket only. */
        @Override
        public void sendNatKeepalive(OutboundNatKeepalive k) {
            if (!owns(k.local().getAddress()) || k.local().getPort() != PortRole.NAT_T.standardPort()) {
                throw new IllegalArgumentException("no NAT-T socket bound to " + k.local());
            }
            queue.add(new Datagram(k.local(), k.remote(), new byte[] {(byte) 0xff}));
        }

        @Override
        public InetSocketAddress local(InetAddress address, PortRole role) {
            return addresses.contains(address) ? new InetSocketAddress(address, role.standardPort()) : null;
        }

        @Override
        public List<InetSocketAddress> locals(PortRole role) {
            return addresses.stream().map(a -> new InetSocketAddress(a, role.standardPort())).toList();
        }

        @Override
        public int peerPort(PortRole role) {
            return role.standardPort();
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
