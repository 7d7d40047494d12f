package net.poolsa.esp.emit;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import net.poolsa.esp.emit.Destinations.Destination;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outer IPsec packets (ESP, AH, ESP in UDP/4500) of the cleartext side to the uplinks through a
 * transmit ring per uplink ({@link TxRing}: AF_XDP or a PACKET_MMAP ring), as link-layer frames written in place:
 * one {@code sendto} per batch of frames, no route lookup, neighbour lookup or netfilter pass per packet in the
 * kernel. Which link and which Ethernet destination each outer destination gets is decided as the kernel would decide
 * it for the marked raw socket ({@link Neighbours}); everything the rings cannot send identically goes through the
 * raw socket ({@link RawSocketEmitter}) instead:
 * <ul>
 * <li>packets that are not IPsec (bypassed packets, ICMP errors, IPv6 with extension headers before ESP),</li>
 * <li>destinations whose next hop is not resolved yet, not usable (FAILED), not behind an uplink with a ring,
 *     or whose neighbour entry the kernel should re-confirm (see {@link Neighbours}),</li>
 * <li>IPv4 packets the kernel would change on the raw socket (raw(7): total length always, identification when 0
 *     without DF, source when 0), and packets larger than the link's MTU (the raw socket then reports EMSGSIZE).</li>
 * </ul>
 * The raw socket also fills in the IPv4 header checksum; the ring path recomputes it the same way, so a frame leaves
 * byte for byte as the raw socket would have sent it. IPsec packets to one destination keep their order when they
 * switch between the ring and the raw socket (the other path is flushed first).
 *
 * <p>{@link #decapsulated()} is the same path for the packets the SAs opened, of any protocol, towards the cleartext
 * side's interfaces (rings opened on them at start): the raw socket's {@code sendmsg} per packet, with a route lookup the
 * kernel does not cache for an {@code IP_HDRINCL} socket to an on-link host, was the receiving gateway's largest cost.
 * Local, broadcast and multicast destinations, and whatever the rings cannot send identically, keep the raw socket.
 *
 * <p>A full ring (the kernel has not freed frames yet) drops the packet as {@link DropReason#OVERLOAD}: the event loop
 * never waits. When no ring can be set up, everything goes to the raw socket; the reason is logged once.
 * Not thread-safe: used from the event loop, like the raw emitter. {@link #close()} does not close the raw emitter.
 */
public final class UplinkEmitter implements PacketSink, Closeable {
    /** Frames per kick, as {@link RawSocketEmitter#BATCH} packets per sendmmsg (AF_XDP copy mode sends 32 per call). */
    public static final int BATCH = 32;
    /** Frames (descriptors) per ring. */
    public static final int RING_FRAMES = 1024;
    /** Outer destinations tracked at most; beyond, their packets take the raw socket. */
    public static final int DESTINATIONS = 1024;
    /**
     * Destinations of decapsulated packets tracked at most, in the same table; beyond, their packets take the raw
     * socket. Counted with the outer ones that came first, so that cleartext hosts never take an outer one's place.
     */
    public static final int CLEARTEXT_DESTINATIONS = 1024;
    /** System property choosing the emit path (values: {@link Mode#label()}); the default is {@link #DEFAULT_MODE}. */
    public static final String MODE_PROPERTY = "poolsa.emit";
    public static final Mode DEFAULT_MODE = Mode.PACKET;
    private static final Logger LOG = LoggerFactory.getLogger(UplinkEmitter.class);
    private static final int ESP = 50;
    private static final int AH = 51;
    private static final int UDP = 17;
    private static final int NAT_T_PORT = 4500;

    /** How IPsec leaves towards the uplinks. */
    public enum Mode {
        /** Raw sockets and sendmmsg, as before: the kernel routes and resolves every packet. */
        RAW("raw"),
        /** A TPACKET_V2 TX ring per uplink, through the interface's queueing discipline. */
        PACKET("packet"),
        /** A TPACKET_V2 TX ring with PACKET_QDISC_BYPASS: no qdisc, no tc, not seen by packet taps on this host. */
        PACKET_BYPASS("packet-bypass"),
        /** An AF_XDP socket in copy mode per uplink (queue 0): no qdisc, no tc, not seen by packet taps on this host. */
        XDP("xdp");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Parses a {@link #label()}. */
        public static Mode of(String label) {
            for (Mode m : values()) {
                if (m.label.equals(label.toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown emit mode '" + label + "' (raw, packet, packet-bypass, xdp)");
        }

        /** From the system property {@value #MODE_PROPERTY}, else {@link #DEFAULT_MODE}. */
        public static Mode configured() {
            String v = System.getProperty(MODE_PROPERTY);
            return v == null || v.isBlank() ? DEFAULT_MODE : of(v.trim());
        }
    }

    private final RawSocketEmitter raw;
    private final DropListener drops;
    private final TxRing[] rings;
    private final ByteBuffer[] views;
    private final Destinations table;
    private final Neighbours neighbours;
    private final String description;
    private final RateLimitedLog logLimit = RateLimitedLog.perTenSeconds(2);
    /** The raw socket holds packets the rings could have taken, not yet flushed: a ring frame must not overtake them. */
    private boolean rawHoldsQueued;
    private boolean tableFullLogged;
    private boolean cleartextFullLogged;
    private long ringPackets;
    private long rawIpsecPackets;
    private long decapsulatedRingPackets;
    private long decapsulatedRawPackets;
    private final PacketSink decapsulated = new PacketSink() {
        @Override
        public void send(ByteBuf p) {
            UplinkEmitter.this.send(p, true);
        }

        @Override
        public void flush() {
            UplinkEmitter.this.flush();
        }
    };
    private long overloadDrops;
    private long refusedFrames;
    private long kicks;
    private long confirmations;

    private UplinkEmitter(RawSocketEmitter raw, DropListener drops, TxRing[] rings, Destinations table, Neighbours neighbours,
                          String description) {
        this.raw = raw;
        this.drops = drops;
        this.rings = rings;
        this.table = table;
        this.neighbours = neighbours;
        this.description = description;
        this.views = new ByteBuffer[rings.length];
        for (int i = 0; i < rings.length; i++) {
            views[i] = rings[i].frames().duplicate();
        }
    }

    /**
     * Sets up a ring of kind {@code mode} on each distinct uplink interface; an uplink whose ring cannot be set up is
     * served by the raw socket, and when none can (or {@code mode} is {@link Mode#RAW}) everything is. Reasons are
     * logged once here.
     *
     * @param raw    the raw-socket emitter for everything the rings do not send (owned by the caller)
     * @param fwmark the raw socket's SO_MARK: routes are looked up with it, and ring frames carry it (skb mark, for tc)
     */
    public static UplinkEmitter open(Mode mode, List<String> uplinkInterfaces, RawSocketEmitter raw, int fwmark, DropListener drops) {
        return open(mode, uplinkInterfaces, List.of(), raw, fwmark, drops, RING_FRAMES);
    }

    /**
     * As {@link #open(Mode, List, RawSocketEmitter, int, DropListener)}, with rings also on {@code decapsulatedInterfaces}
     * (the cleartext side's interfaces) for {@link #decapsulated()}; those that are not Ethernet or refuse a ring are
     * left to the raw socket, logged once.
     */
    public static UplinkEmitter open(Mode mode, List<String> uplinkInterfaces, List<String> decapsulatedInterfaces,
                                     RawSocketEmitter raw, int fwmark, DropListener drops) {
        return open(mode, uplinkInterfaces, decapsulatedInterfaces, raw, fwmark, drops, RING_FRAMES);
    }

    /** With {@code ringFrames} frames per ring (a power of two; tests use small rings to fill them). */
    static UplinkEmitter open(Mode mode, List<String> uplinkInterfaces, RawSocketEmitter raw, int fwmark, DropListener drops,
                              int ringFrames) {
        return open(mode, uplinkInterfaces, List.of(), raw, fwmark, drops, ringFrames);
    }

    static UplinkEmitter open(Mode mode, List<String> uplinkInterfaces, List<String> decapsulatedInterfaces, RawSocketEmitter raw,
                              int fwmark, DropListener drops, int ringFrames) {
        if (mode == Mode.RAW) {
            LOG.info("emit: raw sockets with sendmmsg (emit mode raw)");
            return new UplinkEmitter(raw, drops, new TxRing[0], null, null, "raw sockets (emit mode raw)");
        }
        List<TxRing> rings = new ArrayList<>();
        List<Neighbours.Uplink> uplinks = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> cleartextProblems = new ArrayList<>();
        LinkedHashSet<String> names = new LinkedHashSet<>(uplinkInterfaces);
        names.addAll(decapsulatedInterfaces);
        try (Netlink nl = Netlink.open(0, 1000)) {
            for (String name : names) {
                List<String> why = uplinkInterfaces.contains(name) ? problems : cleartextProblems;
                int ifindex = LibC.if_nametoindex(name);
                Netlink.Link link = ifindex == 0 ? null : nl.link(ifindex);
                if (link == null) {
                    why.add(name + ": no such interface");
                    continue;
                }
                if (link.type() != Netlink.ARPHRD_ETHER) {
                    why.add(name + ": link type " + link.type() + " is not Ethernet");
                    continue;
                }
                try {
                    TxRing r = openRing(mode, name, ifindex, link.mtu(), ringFrames, fwmark);
                    uplinks.add(new Neighbours.Uplink(name, ifindex, rings.size(), r.frameCapacity()));
                    rings.add(r);
                } catch (RuntimeException e) {
                    why.add(name + ": " + e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            problems.add("netlink: " + e.getMessage());
        }
        Neighbours neighbours = null;
        Destinations table = new Destinations(DESTINATIONS + CLEARTEXT_DESTINATIONS);
        if (!rings.isEmpty()) {
            try {
                neighbours = new Neighbours(table, uplinks, fwmark);
            } catch (RuntimeException e) {
                problems.add("neighbour and route watch (netlink): " + e.getMessage());
                rings.forEach(TxRing::close);
                rings.clear();
            }
        }
        if (rings.isEmpty()) {
            String why = String.join("; ", problems);
            LOG.warn("emit: no {} ring could be set up, using raw sockets for everything: {}", mode.label(), why);
            return new UplinkEmitter(raw, drops, new TxRing[0], null, null, "raw sockets (" + mode.label() + " failed: " + why + ")");
        }
        if (!problems.isEmpty()) {
            LOG.warn("emit: raw sockets for the uplinks without a {} ring: {}", mode.label(), String.join("; ", problems));
        }
        if (!cleartextProblems.isEmpty()) {
            LOG.info("emit: decapsulated packets through these interfaces take the raw socket: {}", String.join("; ", cleartextProblems));
        }
        StringBuilder d = new StringBuilder();
        for (TxRing r : rings) {
            d.append(d.length() == 0 ? "" : ", ").append(r.kind());
        }
        if (!problems.isEmpty()) {
            d.append("; raw sockets for ").append(String.join("; ", problems));
        }
        LOG.info("emit: {}", d);
        neighbours.start();
        return new UplinkEmitter(raw, drops, rings.toArray(new TxRing[0]), table, neighbours, d.toString());
    }

    private static TxRing openRing(Mode mode, String name, int ifindex, int mtu, int frames, int fwmark) {
        if (mode == Mode.XDP) {
            try {
                return XdpTxRing.open(name, ifindex, frames, fwmark);
            } catch (RuntimeException e) {
                // EBUSY (another AF_XDP socket on the queue), ENOMEM/EPERM (memlock): a packet ring still beats raw.
                LOG.warn("emit: AF_XDP on {} not possible ({}), trying a TPACKET_V2 ring", name, e.getMessage());
                return PacketTxRing.open(name, ifindex, mtu + NextHop.ETH_HEADER, frames, false, fwmark);
            }
        }
        // Slots sized for today's MTU; should it grow, Neighbours caps each next hop at what a slot holds and the
        // larger packets take the raw socket.
        return PacketTxRing.open(name, ifindex, mtu + NextHop.ETH_HEADER, frames, mode == Mode.PACKET_BYPASS, fwmark);
    }

    /** What the uplinks' IPsec goes through: the rings, or why not (status, logs). */
    public String description() {
        return description;
    }

    /** Whether at least one ring is in use. */
    public boolean ringsInUse() {
        return rings.length > 0;
    }

    /**
     * Queues one IP packet (readable bytes = the packet) and takes ownership of it: into a ring frame when it is
     * IPsec to a destination with a usable next hop, else to the raw socket.
     */
    @Override
    public void send(ByteBuf p) {
        send(p, false);
    }

    /**
     * The sink for decapsulated packets (the uplinks' pipelines): every IP packet, whatever its protocol, goes into a
     * ring frame when its destination has a usable next hop behind an interface with a ring, else to the raw socket,
     * keeping the order of each destination's packets across the two. Shares this emitter's rings, table and batches.
     */
    public PacketSink decapsulated() {
        return decapsulated;
    }

    private void send(ByteBuf p, boolean anyProtocol) {
        int ri = p.readerIndex();
        int len = p.readableBytes();
        if (rings.length == 0) {
            if (anyProtocol) {
                decapsulatedRawPackets++;
            } else if (ipsec(p, ri, len)) {
                rawIpsecPackets++;
            }
            raw.send(p);
            return;
        }
        if (len < 20) {
            raw.send(p); // counts the drop
            return;
        }
        int b0 = p.getUnsignedByte(ri);
        Destination d;
        boolean v4 = b0 >>> 4 == 4;
        if (v4) {
            int ihl = (b0 & 0xf) * 4;
            int flags = p.getUnsignedShort(ri + 6);
            boolean firstFragment = (flags & 0x1fff) == 0;
            if (ihl < 20 || ihl > len) {
                raw.send(p);
                return;
            }
            if (!anyProtocol && !ipsec(p.getUnsignedByte(ri + 9), firstFragment, p, ri + ihl, len - ihl)) {
                raw.send(p);
                return;
            }
            int address = p.getInt(ri + 16);
            d = table.find4(address);
            if (d == null) {
                added(table.add4(address, anyProtocol ? CLEARTEXT_DESTINATIONS : table.capacity()), anyProtocol);
                viaRaw(p, anyProtocol);
                return;
            }
            // What the raw socket rewrites (raw(7)) goes there, so that the wire sees the kernel's version of it.
            if (p.getUnsignedShort(ri + 2) != len || p.getUnsignedShort(ri + 4) == 0 && (flags & 0x4000) == 0 || p.getInt(ri + 12) == 0) {
                viaRaw(p, anyProtocol);
                return;
            }
        } else if (b0 >>> 4 == 6 && len >= 40) {
            if (!anyProtocol && !ipsec(p.getUnsignedByte(ri + 6), true, p, ri + 40, len - 40)) {
                raw.send(p);
                return;
            }
            long hi = p.getLong(ri + 24);
            long lo = p.getLong(ri + 32);
            d = table.find6(hi, lo);
            if (d == null) {
                added(table.add6(hi, lo, anyProtocol ? CLEARTEXT_DESTINATIONS : table.capacity()), anyProtocol);
                viaRaw(p, anyProtocol);
                return;
            }
        } else {
            raw.send(p);
            return;
        }
        NextHop h = d.hop;
        int confirm = d.confirmRequests;
        if (confirm != d.confirmsSeen) {
            d.confirmsSeen = confirm;
            confirmations++;
            viaRaw(p, anyProtocol);
            return;
        }
        if (h == null || len > h.maxPacket) {
            viaRaw(p, anyProtocol);
            return;
        }
        TxRing r = rings[h.ring];
        int off = r.claim();
        if (off < 0) {
            kick(r);
            off = r.claim();
            if (off < 0) {
                overload(p, r);
                return;
            }
        }
        if (rawHoldsQueued) {
            raw.flush();
            rawHoldsQueued = false;
        }
        ByteBuffer f = r.frames();
        f.putLong(off, h.header0);
        f.putLong(off + 8, h.header1);
        int ip = off + NextHop.ETH_HEADER;
        if (p.hasMemoryAddress()) {
            PlatformDependent.copyMemory(p.memoryAddress() + ri, r.address() + ip, len);
        } else {
            ByteBuffer w = views[h.ring];
            w.clear();
            w.limit(ip + len).position(ip);
            p.getBytes(ri, w);
        }
        if (v4) {
            ipv4Checksum(f, ip);
        }
        r.commit(off, NextHop.ETH_HEADER + len);
        if (anyProtocol) {
            decapsulatedRingPackets++;
        } else {
            ringPackets++;
        }
        p.release();
        if (r.queued() >= BATCH) {
            kick(r);
        }
    }

    /** Whether the IP packet at {@code ri} is ESP, AH or ESP in UDP (the counters of the ring-less emitter). */
    private static boolean ipsec(ByteBuf p, int ri, int len) {
        if (len < 20) {
            return false;
        }
        int b0 = p.getUnsignedByte(ri);
        if (b0 >>> 4 == 4) {
            int ihl = (b0 & 0xf) * 4;
            return ihl >= 20 && ihl <= len
                    && ipsec(p.getUnsignedByte(ri + 9), (p.getUnsignedShort(ri + 6) & 0x1fff) == 0, p, ri + ihl, len - ihl);
        }
        return b0 >>> 4 == 6 && len >= 40 && ipsec(p.getUnsignedByte(ri + 6), true, p, ri + 40, len - 40);
    }

    private static boolean ipsec(int protocol, boolean firstFragment, ByteBuf p, int l4, int l4Length) {
        return protocol == ESP || protocol == AH
                || protocol == UDP && firstFragment && l4Length >= 8 && p.getUnsignedShort(l4 + 2) == NAT_T_PORT;
    }

    /** The raw socket always fills in the IPv4 header checksum (raw(7)): so does the ring path. */
    private static void ipv4Checksum(ByteBuffer f, int ip) {
        int words = (f.get(ip) & 0xf) * 2;
        f.putShort(ip + 10, (short) 0);
        int sum = 0;
        for (int i = 0; i < words; i++) {
            sum += f.getShort(ip + 2 * i) & 0xffff;
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum += sum >>> 16;
        f.putShort(ip + 10, (short) ~sum);
    }

    private void added(Destination d, boolean cleartext) {
        if (d != null) {
            return;
        }
        if (cleartext && !cleartextFullLogged) {
            cleartextFullLogged = true;
            LOG.info("emit: {} destinations tracked, decapsulated packets to further cleartext hosts take the raw socket",
                    table.count());
        } else if (!cleartext && !tableFullLogged) {
            tableFullLogged = true;
            LOG.warn("emit: {} destinations tracked, the table is full: IPsec to further destinations takes the raw socket",
                    table.count());
        }
    }

    /** A packet the rings could take but do not: ring frames queued before it leave first. */
    private void viaRaw(ByteBuf p, boolean decapsulated) {
        for (TxRing r : rings) {
            if (r.queued() > 0) {
                kick(r);
            }
        }
        if (decapsulated) {
            decapsulatedRawPackets++;
        } else {
            rawIpsecPackets++;
        }
        rawHoldsQueued = true;
        raw.send(p);
    }

    private void overload(ByteBuf p, TxRing r) {
        p.release();
        overloadDrops++;
        drops.dropped(DropReason.OVERLOAD, null);
        long suppressed = logLimit.permit(0);
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            LOG.warn("emit: {} is full (the kernel has not freed its frames), packet dropped as overload; {} so far, suppressed={}",
                    r.kind(), overloadDrops, suppressed);
        }
    }

    private void kick(TxRing r) {
        kicks++;
        int refused = r.kick();
        if (refused > 0) {
            refusedFrames += refused;
            for (int i = 0; i < refused; i++) {
                drops.dropped(DropReason.EMIT_FAILED, null);
            }
            long suppressed = logLimit.permit(1);
            if (suppressed != RateLimitedLog.SUPPRESSED) {
                LOG.warn("emit: {} refused {} frames (errno {}), dropped as emit_failed; suppressed={}", r.kind(), refused,
                        r.lastError(), suppressed);
            }
        }
    }

    /** Sends everything queued: the rings' frames, then the raw socket's packets. */
    @Override
    public void flush() {
        for (TxRing r : rings) {
            if (r.queued() > 0) {
                kick(r);
            }
        }
        raw.flush();
        rawHoldsQueued = false;
    }

    /** IPsec packets sent as ring frames. */
    public long ringPackets() {
        return ringPackets;
    }

    /** IPsec packets that took the raw socket (unresolved or re-confirmed next hop, larger than the MTU, ...). */
    public long rawIpsecPackets() {
        return rawIpsecPackets;
    }

    /** Packets of {@link #decapsulated()} sent as ring frames. */
    public long decapsulatedRingPackets() {
        return decapsulatedRingPackets;
    }

    /**
     * Packets of {@link #decapsulated()} that took the raw socket: no ring on their interface, a local, broadcast or
     * multicast route, an unresolved or re-confirmed next hop, larger than the MTU, ...
     */
    public long decapsulatedRawPackets() {
        return decapsulatedRawPackets;
    }

    /** IPsec packets sent through the raw socket so that the kernel re-confirms a stale neighbour (in {@link #rawIpsecPackets()}). */
    public long confirmations() {
        return confirmations;
    }

    /** Packets dropped because a ring was full. */
    public long overloadDrops() {
        return overloadDrops;
    }

    /** Frames the kernel refused for good (link down or gone), dropped as EMIT_FAILED. */
    public long refusedFrames() {
        return refusedFrames;
    }

    /** Ring kicks (sendto calls): ringPackets / kicks is the batching achieved. */
    public long kicks() {
        return kicks;
    }

    /** Event loop (or a test standing in for it): the next hop in use for {@code address}, null if none or unknown. */
    String nextHop(byte[] address) {
        Destination d = destination(address);
        NextHop h = d == null ? null : d.hop;
        return h == null ? null : h.toString();
    }

    /** Why {@code address} has the next hop it has (the kernel's neighbour state, or why the raw socket), null if unknown. */
    String state(byte[] address) {
        Destination d = destination(address);
        return d == null ? null : d.state;
    }

    private Destination destination(byte[] address) {
        for (int i = 0; table != null && i < table.count(); i++) {
            if (java.util.Arrays.equals(table.get(i).address, address)) {
                return table.get(i);
            }
        }
        return null;
    }

    /** The neighbour watch, for tests. */
    Neighbours neighbours() {
        return neighbours;
    }

    @Override
    public void close() {
        if (neighbours != null) {
            neighbours.close();
        }
        for (TxRing r : rings) {
            r.close();
        }
    }
}
