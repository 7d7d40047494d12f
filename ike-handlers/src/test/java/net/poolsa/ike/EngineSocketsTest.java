package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.transport.IkeTransportConfig;

/**
 * Two engines on real sockets ({@link IkeEngine#start}: UDP 500 and 4500 on loopback addresses of this JVM's own,
 * 127.x.y.1 and 127.x.y.2 from its PID), NAT-T forced so that the float to 4500 and the non-ESP marker are on the
 * real path; then garbage and an oversized datagram at one of them, counted by reason; then {@code close()},
 * which deletes the SAs at the peer and frees the ports. Needs root (port 500).
 */
@Tag("root")
class EngineSocketsTest {

    /** Counts events from the IKE loop for the test thread. */
    static final class Counts implements IkeEvents {
        final Map<String, Integer> drops = new ConcurrentHashMap<>();

        @Override
        public void dropped(String reason) {
            drops.merge(reason, 1, Integer::sum);
        }
    }

    @Test
    void negotiatesOverUdpFloatsTo4500CountsBadInputAndClosesCleanly() throws Exception {
        long pid = ProcessHandle.current().pid();
        String net = "127." + ((pid >> 8) & 0xff) + "." + (pid & 0xff) + ".";
        InetAddress a = InetAddress.getByName(net + "1");
        InetAddress b = InetAddress.getByName(net + "2");
        UserspaceIpsecKernel ka = new UserspaceIpsecKernel();
        UserspaceIpsecKernel kb = new UserspaceIpsecKernel();
        Counts cb = new Counts();
        try (IkeEngine ea = IkeEngine.start(IkeTransportConfig.standard(List.of(a)), ka, IkeEvents.NONE, IkeRandom.system());
             IkeEngine eb = IkeEngine.start(IkeTransportConfig.standard(List.of(b)), kb, cb, IkeRandom.system())) {
            ea.configure(List.of(Conn.of(net + "1", net + "2", "198.51.100.0/24", "203.0.113.0/24").encap(true).build()))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            eb.configure(List.of(Conn.of(net + "2", net + "1", "203.0.113.0/24", "198.51.100.0/24").build()))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            IkeResult r = ea.initiate("c").toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertTrue(r.ok(), r.message());
            waitFor(() -> kb.listSas().size() == 2, "B's outbound SA after HASH(3)");
            IkeSaSnapshot ike = eb.snapshot().toCompletableFuture().get(10, TimeUnit.SECONDS).get(0);
            assertEquals(new InetSocketAddress(b, 4500), ike.local());
            assertEquals(new InetSocketAddress(a, 4500), ike.remote());

            try (DatagramChannel junk = DatagramChannel.open()) {
                junk.bind(new InetSocketAddress(a, 0));
                byte[] bad = new byte[40];
                bad[0] = 1; // a cookie, then a header Length that disagrees with the datagram
                bad[17] = 0x10;
                bad[18] = 2;
                junk.send(ByteBuffer.wrap(bad), new InetSocketAddress(b, 500));
                junk.send(ByteBuffer.wrap(new byte[IkeTransportConfig.DEFAULT_MAX_DATAGRAM_BYTES + 1]),
                        new InetSocketAddress(b, 500));
            }
            waitFor(() -> cb.drops.getOrDefault("malformed", 0) == 1 && cb.drops.getOrDefault("oversized", 0) == 1,
                    "the two drops: " + cb.drops);
            assertEquals(2, kb.listSas().size(), "nothing changed");
            ea.close();
            waitFor(() -> kb.listSas().isEmpty(), "B deleted the pair on A's Delete");
            assertEquals(0, ka.listSas().size());
        }
        for (InetAddress x : List.of(a, b)) {
            try (DatagramChannel c = DatagramChannel.open()) {
                c.bind(new InetSocketAddress(x, 500)); // closed: the port is free again
            }
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 300 && !condition.getAsBoolean(); i++) {
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean(), what);
    }
}
