package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.auth.TestPki;
import net.poolsa.ike.job.Timers;

/**
 * The Diffie-Hellman work of a responder on a crypto pool ({@code net.poolsa.ike.exchange.Offload}): gateway B
 * (192.0.2.2) answers two initiators, A1 (192.0.2.1) and A3 (192.0.2.3), at once, Main Mode and Quick Mode with PFS
 * in group 19. B's pool has two threads, and each of its first two computations (message 3 of each Main Mode) waits
 * at a barrier of two before it computes: the barrier opens only if both computations run at the same time, on two
 * threads. While they are out, every datagram B has received so far is delivered to it once more (the initiators'
 * retransmissions), then again while the Quick Mode computations are out; each exchange must still compute once.
 */
class CryptoPoolTest {
    private final Set<Long> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger computations = new AtomicInteger();
    private final CyclicBarrier bothOut = new CyclicBarrier(2);
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** B's pool: counts the computations; the first two record their thread and wait for each other. */
    private void compute(Runnable work) {
        int n = computations.incrementAndGet();
        pool.execute(() -> {
            if (n <= 2) {
                threads.add(Thread.currentThread().getId());
                try {
                    bothOut.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    return; // the other never came: its result is missing and the test fails on the count
                }
            }
            work.run();
        });
    }

    @Test
    void twoExchangesComputeAtOnceOnTwoThreadsAndARetransmissionStartsNoSecondComputation() throws Exception {
        Wire w = new Wire();
        Wire.Side a1 = w.side("A1", 1, Timers.DEFAULT, "192.0.2.1");
        Wire.Side a3 = w.side("A3", 3, Timers.DEFAULT, "192.0.2.3");
        Wire.Side b = w.side("B", 2, Timers.DEFAULT, this::compute, "192.0.2.2");
        a1.engine.configure(List.of(conn("c1", "192.0.2.1", "192.0.2.2", "198.51.100.0/25", "203.0.113.0/24", 1)
                .build()));
        a3.engine.configure(List.of(conn("c3", "192.0.2.3", "192.0.2.2", "198.51.100.128/25", "203.0.113.0/24", 3)
                .build()));
        b.engine.configure(List.of(conn("c1", "192.0.2.2", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/25", 1).build(),
                conn("c3", "192.0.2.2", "192.0.2.3", "203.0.113.0/24", "198.51.100.128/25", 3).build()));

        CompletableFuture<IkeResult> r1 = a1.engine.initiate("c1").toCompletableFuture();
        CompletableFuture<IkeResult> r3 = a3.engine.initiate("c3").toCompletableFuture();
        // messages 1 to 3 of both: B now computes both DH pairs and agreements
        w.flush();
        assertEquals(2, computations.get(), "B's computations after both messages 3");
        int retransmitted = repeatToB(w, 2);
        awaitResults(w, 2);
        assertEquals(2, threads.size(), "both first computations ran at once, on two threads: " + threads);
        assertTrue(!threads.contains(Thread.currentThread().getId()), "none on the IKE (test) thread");
        assertEquals(2, w.clock.runPosted(), "two results back on the IKE thread");

        // messages 4 to 6 and Quick Mode message 1 of both: B computes the two PFS agreements
        w.flush();
        assertEquals(4, computations.get(), "B's computations after both Quick Mode messages 1");
        retransmitted += repeatToB(w, 32);
        awaitResults(w, 4);
        assertEquals(2, w.clock.runPosted());
        w.flush();

        assertTrue(r1.isDone() && r1.get().ok(), () -> String.valueOf(r1.getNow(null)));
        assertTrue(r3.isDone() && r3.get().ok(), () -> String.valueOf(r3.getNow(null)));
        assertEquals(4, computations.get(), "one computation per exchange, whatever was retransmitted meanwhile");
        assertEquals(6, retransmitted, "Main Mode messages 1 and 3, Quick Mode messages 1, delivered twice");
        assertEquals(2, fromB(w, 4), "one Main Mode message 4 (KE) per SA");
        assertEquals(2, b.events.exchanges("main_mode/ok"));
        assertEquals(2, b.events.exchanges("quick_mode/ok"));
        assertEquals(1, a1.events.exchanges("quick_mode/ok"));
        assertEquals(1, a3.events.exchanges("quick_mode/ok"));
        assertEquals(4, b.kernel.listSas().size(), "B holds both SA pairs");
        assertEquals(2, a1.kernel.listSas().size());
        assertEquals(2, a3.kernel.listSas().size());
        assertNotEquals(0, b.events.drops.getOrDefault("retransmitted", 0));
        assertEquals(0, a1.events.totalDrops() + a3.events.totalDrops() + b.events.totalDrops()
                - b.events.drops.getOrDefault("retransmitted", 0), a1.events.drops + " " + a3.events.drops + " "
                + b.events.drops);
    }

    /**
     * ECDSA certificates, with both gateways' work on pools of two threads: each side's signature and its check of the
     * peer's come back from the pool (B: DH, check, sign, Quick Mode DH; A: DH pair, agreement, sign, check, Quick
     * Mode DH pair and agreement) and the tunnel comes up. Then B's certificate from another CA: A's check refuses it
     * on the pool, and the refusal still ends A's attempt naming the CA, with B's SA deleted.
     */
    @Test
    void signaturesAndTheirRefusalComeBackFromThePool(@TempDir Path dir) throws Exception {
        TestPki.Issued ca = TestPki.root("CN=poolsa test CA");
        TestPki.Issued otherCa = TestPki.root("CN=some other CA");
        for (boolean trusted : new boolean[] {true, false}) {
            AtomicInteger atA = new AtomicInteger();
            AtomicInteger atB = new AtomicInteger();
            Wire w = new Wire();
            Wire.Side a = w.side("A", 1, Timers.DEFAULT, counted(atA), "192.0.2.1");
            Wire.Side b = w.side("B", 2, Timers.DEFAULT, counted(atB), "192.0.2.2");
            a.engine.configure(List.of(Gateways.forA().ike("aes128-sha256-ecp256").esp("aes128gcm16-ecp256")
                    .certificates(CertificateMainModeTest.credentials(dir, "a" + trusted, TestPki.cert("CN=gw-a")
                            .ipNet("198.51.100.0", "255.255.255.0").ip("192.0.2.1").sign(ca), List.of(ca), List.of(),
                            "")).build()));
            b.engine.configure(List.of(Gateways.forB().ike("aes128-sha256-ecp256").esp("aes128gcm16-ecp256")
                    .certificates(CertificateMainModeTest.credentials(dir, "b" + trusted, TestPki.cert("CN=gw-b")
                            .ipNet("203.0.113.0", "255.255.255.0").ip("192.0.2.2").sign(trusted ? ca : otherCa),
                            List.of(ca), List.of(), "")).build()));
            CompletableFuture<IkeResult> r = a.engine.initiate("c").toCompletableFuture();
            settle(w, () -> atA.get() + atB.get());
            assertTrue(r.isDone(), "the attempt ended");
            if (trusted) {
                assertTrue(r.get().ok(), r.get().message());
                assertEquals(4, atB.get(), "B: DH, check, sign, Quick Mode DH");
                assertEquals(6, atA.get(), "A: DH pair, agreement, sign, check, Quick Mode DH pair and agreement");
                assertEquals(2, a.kernel.listSas().size());
                assertEquals(2, b.kernel.listSas().size());
                assertEquals(0, a.events.totalDrops() + b.events.totalDrops(), a.events.drops + " " + b.events.drops);
            } else {
                assertTrue(!r.get().ok() && r.get().message().contains("was issued by 'CN=some other CA'"),
                        r.get().message());
                assertEquals(1, a.events.exchanges("main_mode/refused"));
                assertEquals(1, a.events.drops("authentication"));
                assertEquals(0, a.kernel.listSas().size() + b.kernel.listSas().size());
                assertEquals(List.of(), Gateways.done(b.engine.snapshot().toCompletableFuture()),
                        "B deleted its SA on A's Delete");
            }
        }
    }

    /** A pool of two threads that counts what it is given. */
    private java.util.concurrent.Executor counted(AtomicInteger count) {
        return task -> {
            count.incrementAndGet();
            pool.execute(task);
        };
    }

    /** Delivers and runs results until the wire is quiet and every computation given to a pool has come back. */
    private static void settle(Wire w, java.util.function.IntSupplier computations)
            throws InterruptedException {
        while (true) {
            int moved = w.flush();
            awaitResults(w, computations.getAsInt());
            moved += w.clock.runPosted();
            if (moved == 0 && w.clock.posted() == computations.getAsInt()) {
                return;
            }
        }
    }

    private static Conn conn(String name, String local, String remote, String localNet, String remoteNet, int reqid) {
        return Conn.of(local, remote, localNet, remoteNet).name(name).reqid(reqid).ike("aes128-sha256-ecp256")
                .esp("aes128gcm16-ecp256");
    }

    /**
     * Delivers every datagram of {@code exchangeType} that B received so far once more (B's answers to them, if any,
     * are taken off the wire, so that the initiators see no repeats of their own). Returns how many.
     */
    private static int repeatToB(Wire w, int exchangeType) {
        List<Wire.Datagram> toB = new ArrayList<>();
        for (Wire.Datagram d : w.log) {
            if (d.to().getAddress().getHostAddress().equals("192.0.2.2") && d.exchangeType() == exchangeType) {
                toB.add(d);
            }
        }
        for (Wire.Datagram d : toB) {
            w.deliver(d);
        }
        w.take();
        return toB.size();
    }

    /** Waits until B's pool has posted {@code n} results in all (a count, not a time; the cap only ends a hang). */
    private static void awaitResults(Wire w, int n) throws InterruptedException {
        for (int i = 0; i < 30_000 && w.clock.posted() < n; i++) {
            Thread.sleep(1);
        }
        if (w.clock.posted() < n) {
            fail(w.clock.posted() + " of " + n + " results came back from B's pool");
        }
    }

    /** Main Mode datagrams from B whose first payload is {@code payloadType}. */
    private static long fromB(Wire w, int payloadType) {
        return w.log.stream().filter(d -> d.from().getAddress().getHostAddress().equals("192.0.2.2"))
                .filter(d -> d.exchangeType() == 2 && !d.encrypted() && (d.bytes()[16] & 0xff) == payloadType).count();
    }
}
