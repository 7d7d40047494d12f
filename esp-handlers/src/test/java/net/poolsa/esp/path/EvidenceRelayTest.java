package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-over of path evidence from an event loop that does not own the path monitor, on a synthetic clock: the
 * owner's "loop" is a queue this test runs, so what is handed over and when is counted exactly.
 */
class EvidenceRelayTest {
    private static final long MS = 1_000_000L;
    private static final int A1 = 0xC6336401; // 198.51.100.1
    private static final int B1 = 0xC6336402; // 198.51.100.2
    private static final int B2 = 0xCB007102; // 203.0.113.2
    private static final AddressPool OURS = AddressPool.parse("198.51.100.1/32", "203.0.113.1/32");
    private static final AddressPool THEIRS = AddressPool.parse("198.51.100.2/32", "203.0.113.2/32");

    private final List<Runnable> ownerLoop = new ArrayList<>();
    private final List<String> seen = new ArrayList<>();
    private final List<String> drops = new ArrayList<>();
    private final List<ByteBuf> replies = new ArrayList<>();
    private boolean takeReplies = true;
    private final PathEvidence owner = new PathEvidence() {
        @Override
        public void authenticatedV4(SecurityAssociation sa, long sequence, int remote, int local, long nowNanos) {
            seen.add(Integer.toHexString(sa.spi()) + " " + sequence + " " + Integer.toHexString(remote) + ">" + Integer.toHexString(local)
                    + " @" + nowNanos);
        }

        @Override
        public void authenticatedV6(SecurityAssociation sa, long sequence, long remoteHi, long remoteLo, long localHi,
                                    long localLo, long nowNanos) {
            seen.add("v6 " + Integer.toHexString(sa.spi()) + " " + sequence + " " + Long.toHexString(remoteLo) + ">" + Long.toHexString(localLo));
        }

        @Override
        public void confirmed(OuterAddress local, OuterAddress remote, long nowNanos) {
            seen.add("confirmed " + local + ">" + remote);
        }

        @Override
        public boolean probeReply(IpPacketView view, ByteBuf packet, long nowNanos) {
            replies.add(packet.copy());
            return takeReplies;
        }
    };
    private final DropListener dropListener = (reason, sa) -> drops.add(reason.label());
    private final EvidenceRelay relay = new EvidenceRelay(owner, ownerLoop::add, dropListener, PathTimers.DEFAULTS);
    /** An eighth of the default busy probe interval (40 ms). */
    private static final long INTERVAL = 5 * MS;
    private final SecurityAssociation sa = ManualSas.inbound(0xb001, 1, OURS, THEIRS, AddressPool.parse("192.0.2.0/26"),
            AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));
    private final SecurityAssociation other = ManualSas.inbound(0xb002, 2, OURS, THEIRS, AddressPool.parse("192.0.2.0/26"),
            AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));

    @AfterEach
    void release() {
        replies.forEach(ByteBuf::release);
    }

    private void runOwnerLoop() {
        List<Runnable> tasks = new ArrayList<>(ownerLoop);
        ownerLoop.clear();
        tasks.forEach(Runnable::run);
    }

    /** As UnprotectStage does: the relay first, then the packet's outer pair recorded on its SA. */
    private void packetV4(SecurityAssociation s, long seq, int remote, int local, long now) {
        relay.authenticatedV4(s, seq, remote, local, now);
        s.lastInboundOuter().recordV4(remote, local);
    }

    private void packetV6(SecurityAssociation s, long seq, long remoteLo, long localLo, long now) {
        relay.authenticatedV6(s, seq, 0x20010db800000000L, remoteLo, 0x20010db800000000L, localLo, now);
        s.lastInboundOuter().recordV6(0x20010db800000000L, remoteLo, 0x20010db800000000L, localLo);
    }

    @Test
    void onePathHandsOverOncePerIntervalNotPerPacket() {
        // 50,000 packets over 50 ms (one a microsecond): 10 hand-overs, each with the packet it was made from.
        for (int i = 0; i < 50_000; i++) {
            packetV4(sa, i + 1, B1, A1, i * 1_000L);
        }
        assertEquals(10, ownerLoop.size());
        assertEquals(10, relay.passedOn());
        runOwnerLoop();
        assertEquals("b001 1 c6336402>c6336401 @0", seen.get(0));
        assertEquals("b001 5001 c6336402>c6336401 @" + INTERVAL, seen.get(1));
        assertEquals("b001 45001 c6336402>c6336401 @" + 9 * INTERVAL, seen.get(9));
    }

    @Test
    void anSaOnAnotherPathIsHandedOverAtOnce() {
        packetV4(sa, 1, B1, A1, 0);
        packetV4(sa, 2, B1, A1, 10);
        packetV4(sa, 3, B2, A1, 20); // the peer moved: the monitor must see it now
        packetV4(other, 7, B1, A1, 30); // the first packet of this SA
        packetV4(sa, 4, B2, A1, 40);
        packetV4(other, 8, B1, A1, 50); // the path is alive already: nothing new
        packetV4(sa, 5, B1, A1, 60); // back again: at once
        runOwnerLoop();
        assertEquals(List.of("b001 1 c6336402>c6336401 @0", "b001 3 cb007102>c6336401 @20",
                "b002 7 c6336402>c6336401 @30", "b001 5 c6336402>c6336401 @60"), seen);
    }

    @Test
    void manySasOnOnePathCostHandOversPerPathNotPerSa() {
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            sas.add(ManualSas.inbound(0x10000 + i, 10 + i, OURS, THEIRS, AddressPool.parse("192.0.2.0/26"),
                    AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1)));
        }
        long t = 0;
        for (SecurityAssociation s : sas) {
            packetV4(s, 1, B1, A1, t++); // each SA's first packet: 1000 hand-overs
        }
        assertEquals(1000, relay.passedOn());
        // Then 10 packets of each SA over the next 10 intervals (50 ms): the path once an interval after its last hand-over
        // (at 5, 10, ..., 45 ms), 9 hand-overs for 10,000 packets.
        for (int round = 2; round <= 11; round++) {
            for (SecurityAssociation s : sas) {
                packetV4(s, round, B1, A1, t);
                t += INTERVAL / sas.size();
            }
        }
        assertEquals(1000 + 9, relay.passedOn());
        runOwnerLoop();
    }

    @Test
    void ipv6PathsAreTheirOwnKeys() {
        packetV6(sa, 1, 2, 1, 0);
        packetV6(sa, 2, 2, 1, 10);
        packetV6(sa, 3, 3, 1, 20);
        packetV4(sa, 4, 2, 1, 30); // the low halves of the IPv6 pair as IPv4: not the same pair
        runOwnerLoop();
        assertEquals(List.of("v6 b001 1 2>1", "v6 b001 3 3>1", "b001 4 2>1 @30"), seen);
    }

    @Test
    void confirmationsAreHandedOverEveryTime() {
        OuterAddress a = OuterAddress.parse("198.51.100.1");
        OuterAddress b = OuterAddress.parse("198.51.100.2");
        relay.confirmed(a, b, 0);
        relay.confirmed(a, b, 1);
        assertTrue(seen.isEmpty());
        runOwnerLoop();
        assertEquals(2, seen.size());
    }

    @Test
    void echoRepliesWithOurIdentifierGoToTheOwnerAsCopies() {
        ByteBuf reply = echoReply(PathMonitor.ECHO_ID, 0);
        IpPacketView v = view(reply);
        assertTrue(relay.probeReply(v, reply, 5));
        assertTrue(replies.isEmpty(), "not before the owner's loop runs");
        runOwnerLoop();
        assertEquals(1, replies.size());
        assertEquals(ByteBufUtil.hexDump(reply), ByteBufUtil.hexDump(replies.get(0)));
        assertTrue(drops.isEmpty());
        reply.release();
    }

    @Test
    void replyTheOwnerDoesNotTakeIsCountedThere() {
        takeReplies = false;
        ByteBuf reply = echoReply(PathMonitor.ECHO_ID, 0);
        assertTrue(relay.probeReply(view(reply), reply, 5));
        runOwnerLoop();
        assertEquals(List.of("unsupported"), drops);
        reply.release();
    }

    @Test
    void otherIcmpIsLeftToTheCaller() {
        ByteBuf foreign = echoReply(0x1234, 0);
        ByteBuf request = echoReply(PathMonitor.ECHO_ID, 8);
        assertFalse(relay.probeReply(view(foreign), foreign, 5));
        assertFalse(relay.probeReply(view(request), request, 5));
        assertTrue(ownerLoop.isEmpty());
        foreign.release();
        request.release();
    }

    @Test
    void aFloodOfRepliesIsCappedUntilTheOwnerCatchesUp() {
        ByteBuf reply = echoReply(PathMonitor.ECHO_ID, 0);
        IpPacketView v = view(reply);
        int taken = 0;
        for (int i = 0; i < 3 * EvidenceRelay.MAX_PENDING_REPLIES; i++) {
            taken += relay.probeReply(v, reply, i) ? 1 : 0;
        }
        assertEquals(EvidenceRelay.MAX_PENDING_REPLIES, taken);
        runOwnerLoop();
        assertTrue(relay.probeReply(v, reply, 1000), "taken again once the owner ran");
        runOwnerLoop();
        assertEquals(EvidenceRelay.MAX_PENDING_REPLIES + 1, replies.size());
        reply.release();
    }

    private static IpPacketView view(ByteBuf b) {
        IpPacketView v = new IpPacketView();
        assertEquals(null, v.decode(b));
        return v;
    }

    /** An ICMP echo message (RFC 792) from 198.51.100.2 to 198.51.100.1 of {@code type}, with identifier {@code id}. */
    private static ByteBuf echoReply(int id, int type) {
        ByteBuf b = Unpooled.directBuffer(36);
        b.writeByte(0x45).writeByte(0).writeShort(36).writeShort(1).writeShort(0x4000);
        b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0).writeInt(B1).writeInt(A1);
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeByte(type).writeByte(0).writeShort(0).writeShort(id).writeShort(7).writeLong(0x0102030405060708L);
        b.setShort(22, Checksums.checksum(b, 20, 16));
        return b;
    }
}
