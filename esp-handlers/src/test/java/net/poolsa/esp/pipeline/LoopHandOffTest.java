package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.netns.XorProtector;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two cleartext pipelines in {@link EmbeddedChannel}s stand for two event loops (each channel's executor runs the
 * hand-off's wake-up task only when the test says so): which loop seals an SA's packets, in what order, how many
 * wake-ups a batch costs, what a full lane drops and counts, and that every buffer is released (paranoid leak detection
 * in the build; the channels must be empty at the end).
 */
class LoopHandOffTest {
    private static final AddressPool GW_A = AddressPool.parse("198.51.100.1/32");
    private static final AddressPool GW_B = AddressPool.parse("198.51.100.2/32");
    private static final AddressPool NET_A = AddressPool.parse("192.0.2.0/26");
    private static final AddressPool NET_B = AddressPool.parse("192.0.2.64/26");
    private static final AddressPool NET_C = AddressPool.parse("192.0.2.128/26");
    private static final MtuSettings MTU = new MtuSettings(1500, OuterAddress.parse("192.0.2.2"), OuterAddress.parse("2001:db8:1::2"), 100);

    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = new DataPathListener() {
        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
            drops.merge(reason, 1, Integer::sum);
        }
    };
    private final List<ByteBuf> inputs = new ArrayList<>();
    private UserspaceIpsecKernel kernel;
    private EmbeddedChannel loop0;
    private EmbeddedChannel loop1;
    private LoopHandOff handOff;
    private int spiOf0; // owned by loop 0, traffic NET_A -> NET_B
    private int spiOf1; // owned by loop 1, traffic NET_A -> NET_C

    @BeforeEach
    void setUp() {
        spiOf0 = firstSpiOwnedBy(0);
        spiOf1 = firstSpiOwnedBy(1);
        kernel = new UserspaceIpsecKernel();
        kernel.addSa(ManualSas.outbound(spiOf0, 1, GW_A, GW_B, NET_A, NET_B, ManualSas.xorKeys(0x33)));
        kernel.addSa(ManualSas.outbound(spiOf1, 2, GW_A, GW_B, NET_A, NET_C, ManualSas.xorKeys(0x44)));
        kernel.addPolicy(SecurityPolicy.protect("a-b", TrafficSelector.between(NET_A, NET_B), 1));
        kernel.addPolicy(SecurityPolicy.protect("a-c", TrafficSelector.between(NET_A, NET_C), 2));
    }

    private void loops(int laneCapacity) {
        handOff = new LoopHandOff(2, laneCapacity, listener);
        loop0 = new EmbeddedChannel();
        loop1 = new EmbeddedChannel();
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel ch = i == 0 ? loop0 : loop1;
            Pipelines.cleartext(ch.pipeline(), kernel, new XorProtector(PooledByteBufAllocator.DEFAULT, listener), MTU,
                    listener, RandomSource.SYSTEM, handOff.stage(i));
        }
    }

    @AfterEach
    void tearDown() {
        if (loop0 != null) {
            loop0.runPendingTasks();
            loop1.runPendingTasks();
            assertFalse(loop0.finish(), "nothing left in loop 0's channel");
            assertFalse(loop1.finish(), "nothing left in loop 1's channel");
            handOff.releaseAll();
        }
        for (ByteBuf b : inputs) {
            assertEquals(0, b.refCnt(), "every captured buffer released");
        }
    }

    private static int firstSpiOwnedBy(int loop) {
        for (int spi = 0x1000; ; spi++) {
            if (LoopHandOff.owner(spi, 2) == loop) {
                return spi;
            }
        }
    }

    /** An IPv4 UDP packet whose IP identification is {@code id}; kept to check that it is released. */
    private ByteBuf udp(String dst, int id) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeByte(0x45).writeByte(0).writeShort(28 + 32).writeShort(id).writeShort(0x4000);
        b.writeByte(64).writeByte(17).writeShort(0).writeInt(v4("192.0.2.1")).writeInt(v4(dst));
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(5000).writeShort(6000).writeShort(8 + 32).writeShort(0);
        b.writeZero(32);
        inputs.add(b);
        return b;
    }

    private static int v4(String s) {
        return IpLiterals.v4(IpLiterals.parse(s));
    }

    /** The ESP packets a channel emitted: SPI and the sealing protector's sequence number, released as read. */
    private static List<long[]> emitted(EmbeddedChannel ch) {
        List<long[]> out = new ArrayList<>();
        IpPacketView v = new IpPacketView();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            assertNull(v.decode(b));
            assertEquals(IpPacketView.PROTO_ESP, v.protocol());
            out.add(new long[] {v.spi(), b.getUnsignedInt(b.readerIndex() + 24)});
            b.release();
        }
        return out;
    }

    @Test
    void ownerIsStableAndSpreadsSpis() {
        int[] perLoop = new int[4];
        for (int spi = 1; spi <= 4000; spi++) {
            int o = LoopHandOff.owner(spi, 4);
            assertEquals(o, LoopHandOff.owner(spi, 4));
            perLoop[o]++;
        }
        for (int n : perLoop) {
            assertTrue(n > 800 && n < 1200, "SPIs per loop out of 4000: " + Arrays.toString(perLoop));
        }
        assertNotEquals(spiOf0, spiOf1);
        assertThrows(IllegalArgumentException.class, () -> new LoopHandOff(1, 16, listener));
        assertThrows(IllegalArgumentException.class, () -> new LoopHandOff(2, 12, listener));
    }

    @Test
    void packetsOfTheLoopsOwnSaAreSealedThereWithoutAHandOff() {
        loops(16);
        loop0.writeInbound(udp("192.0.2.65", 1), udp("192.0.2.66", 2));
        List<long[]> out = emitted(loop0);
        assertEquals(2, out.size());
        assertEquals(spiOf0, out.get(0)[0]);
        assertEquals(0, handOff.handedOff(0));
        assertEquals(0, handOff.wakeUps(1));
        assertFalse(loop1.hasPendingTasks());
    }

    @Test
    void anotherLoopsSaGoesToItsOwnerInCaptureOrderWithOneWakeUpPerBatch() {
        loops(16);
        // Loop 0 captures a batch of 5 for loop 1's SA, between two packets of its own SA.
        loop0.writeInbound(udp("192.0.2.65", 100), udp("192.0.2.129", 1), udp("192.0.2.130", 2), udp("192.0.2.131", 3),
                udp("192.0.2.132", 4), udp("192.0.2.133", 5), udp("192.0.2.66", 101));
        List<long[]> own = emitted(loop0);
        assertEquals(2, own.size(), "loop 0 seals only its own SA's packets");
        assertEquals(spiOf0, own.get(0)[0]);
        assertEquals(spiOf0, own.get(1)[0]);
        assertEquals(5, handOff.handedOff(0));
        assertEquals(1, handOff.wakeUps(1), "one wake-up for the batch");
        assertTrue(emitted(loop1).isEmpty(), "nothing sealed before the owner runs");

        // Loop 1 captures one of its own, then runs the handed batch: sealed by its protector after its own packet.
        loop1.writeInbound(udp("192.0.2.134", 6));
        loop1.runPendingTasks();
        List<long[]> out = emitted(loop1);
        assertEquals(6, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(spiOf1, out.get(i)[0]);
            assertEquals(i + 1, out.get(i)[1], "one protector numbers the SA's packets in the order sealed");
        }
        assertEquals(0, drops.getOrDefault(DropReason.OVERLOAD, 0));
    }

    /**
     * A packet waits in its owner's hand-off queue while the control plane installs a newer outbound SA for its policy
     * and deletes the one the packet was classified to (what a simultaneous rekey does with its redundant pair): the
     * owner seals it with the policy's SA of now, not drops it as SA_EXPIRED (IkeSimultaneousRekeyNetnsTest lost a ping
     * so in CI). Fails on the old code (one SA_EXPIRED drop, nothing sealed).
     */
    @Test
    void aQueuedPacketWhoseSaWasDeletedIsSealedWithItsPolicysNewSa() {
        loops(16);
        loop1.writeInbound(udp("192.0.2.65", 7)); // loop 0's SA: handed to loop 0, not yet run
        assertEquals(1, handOff.handedOff(1));
        int newer = spiOf0 + 0x100;
        kernel.addSa(ManualSas.outbound(newer, 1, GW_A, GW_B, NET_A, NET_B, ManualSas.xorKeys(0x55)));
        assertTrue(kernel.deleteSa(Direction.OUTBOUND, spiOf0, IpsecProtocol.ESP, 1));
        loop0.runPendingTasks();
        List<long[]> out = emitted(loop0);
        assertEquals(1, out.size(), "sealed, not dropped: " + drops);
        assertEquals(newer, out.get(0)[0], "with the policy's SA of now");
        assertEquals(Map.of(), drops);
    }

    @Test
    void noSecondWakeUpWhileOneIsPending() {
        loops(16);
        loop0.writeInbound(udp("192.0.2.129", 1));
        loop0.writeInbound(udp("192.0.2.130", 2));
        loop0.writeInbound(udp("192.0.2.131", 3));
        assertEquals(1, handOff.wakeUps(1), "three batches, the first wake-up still pending");
        loop1.runPendingTasks();
        assertEquals(3, emitted(loop1).size());
        loop0.writeInbound(udp("192.0.2.132", 4));
        assertEquals(2, handOff.wakeUps(1), "after the owner ran, the next batch wakes it again");
        loop1.runPendingTasks();
        assertEquals(List.of(4L), emitted(loop1).stream().map(p -> p[1]).toList());
    }

    @Test
    void aFullLaneDropsAndCountsWithoutWaitingAndReleasesTheBuffer() {
        loops(4);
        List<ByteBuf> batch = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            batch.add(udp("192.0.2.129", i));
        }
        loop0.writeInbound(batch.toArray());
        assertEquals(4, handOff.handedOff(0));
        assertEquals(2, handOff.dropped(0));
        assertEquals(2, drops.get(DropReason.OVERLOAD));
        assertEquals(0, batch.get(4).refCnt(), "a dropped packet's buffer is released at once");
        assertEquals(0, batch.get(5).refCnt());
        assertEquals(1, batch.get(3).refCnt(), "a queued one is held for the owner");
        loop1.runPendingTasks();
        assertEquals(4, emitted(loop1).size());
        // The owner freed the lane: the next batch fits again.
        loop0.writeInbound(udp("192.0.2.130", 9));
        assertEquals(5, handOff.handedOff(0));
        loop1.runPendingTasks();
        assertEquals(1, emitted(loop1).size());
    }

    @Test
    void whatIsStillQueuedAtStopIsReleased() {
        loops(16);
        loop0.writeInbound(udp("192.0.2.129", 1), udp("192.0.2.130", 2));
        assertEquals(2, handOff.handedOff(0));
        handOff.releaseAll(); // the data plane does this once no loop runs
        for (ByteBuf b : inputs) {
            assertEquals(0, b.refCnt());
        }
        loop1.runPendingTasks(); // the wake-up finds the lane empty
        assertTrue(emitted(loop1).isEmpty());
    }
}
