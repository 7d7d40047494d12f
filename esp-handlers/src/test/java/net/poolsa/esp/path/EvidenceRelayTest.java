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
    private final EvidenceRelay relay = new EvidenceRelay(owner, ownerLoop::add, dropListener);
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

    @Test
    void onePathHandsOverOncePerIntervalNotPerPacket() {
        // 10,000 packets over 10 ms (one a microsecond): 10 hand-overs, each with the packet it was made from.
        for (int i = 0; i < 10_000; i++) {
            relay.authenticatedV4(sa, i + 1, B1, A1, i * 1_000L);
        }
        assertEquals(10, ownerLoop.size());
        assertEquals(10, relay.passedOn());
        runOwnerLoop();
        assertEquals("b001 1 c6336402>c6336401 @0", seen.get(0));
        assertEquals("b001 1001 c6336402>c6336401 @" + MS, seen.get(1));
        assertEquals("b001 9001 c6336402>c6336401 @" + 9 * MS, seen.get(9));
    }

    @Test
    void anotherPathOrSaIsHandedOverAtOnce() {
        relay.authenticatedV4(sa, 1, B1, A1, 0);
        relay.authenticatedV4(sa, 2, B1, A1, 10);
        relay.authenticatedV4(sa, 3, B2, A1, 20); // the peer moved: the monitor must see it now
        relay.authenticatedV4(other, 7, B1, A1, 30);
        relay.authenticatedV4(sa, 4, B2, A1, 40);
        runOwnerLoop();
        assertEquals(List.of("b001 1 c6336402>c6336401 @0", "b001 3 cb007102>c6336401 @20",
                "b002 7 c6336402>c6336401 @30"), seen);
    }

    @Test
    void ipv6PathsAreTheirOwnKeys() {
        relay.authenticatedV6(sa, 1, 0x20010db800000000L, 2, 0x20010db800000000L, 1, 0);
        relay.authenticatedV6(sa, 2, 0x20010db800000000L, 2, 0x20010db800000000L, 1, 10);
        relay.authenticatedV6(sa, 3, 0x20010db800000000L, 3, 0x20010db800000000L, 1, 20);
        relay.authenticatedV4(sa, 4, 2, 1, 30); // the low halves of the IPv6 pair as IPv4: not the same key
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
