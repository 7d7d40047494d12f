package net.poolsa.appliance.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.replay.SequenceNumbers;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * The durable sequence-number store of manually keyed SAs: every number handed out was reserved on disk first,
 * reservations run ahead of use, a crash (SIGKILL, no orderly shutdown) never makes a number repeat, the same key
 * continues and a new key starts afresh, damaged files and unusable directories are refused by name, and the
 * per-packet path does no I/O, takes no store lock and allocates nothing. The clocks are injected, so no assertion
 * depends on how fast this machine is.
 */
class SequenceStoreTest {
    private static final SequenceStore.Tuning SMALL = new SequenceStore.Tuning(100, 2.0, Duration.ofMillis(100),
            Duration.ofSeconds(1), Duration.ofDays(30));

    @TempDir
    Path dir;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong epoch = new AtomicLong(1_767_225_600L);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(SequenceStore.class)).addAppender(log);
    }

    @AfterEach
    void stopCapture() {
        ((Logger) LoggerFactory.getLogger(SequenceStore.class)).detachAppender(log);
    }

    private SequenceStore open() throws StateException {
        return open(dir, SMALL);
    }

    private SequenceStore open(Path d, SequenceStore.Tuning t) throws StateException {
        return SequenceStore.open(d, t, nanos::get, epoch::get);
    }

    private static long onDisk(Path d, Direction direction, int spi) throws StateException {
        for (StateFile.Entry e : StateFile.read(d.resolve(StateFile.NAME))) {
            if (e.direction() == direction && e.spi() == spi) {
                return e.value();
            }
        }
        return fail("no record of " + direction + " SPI " + Integer.toHexString(spi));
    }

    private boolean logged(String text) {
        return log.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }

    @Test
    void everyNumberHandedOutWasReservedOnDiskFirst() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = StateSas.out(0x2001, 1);
            SaTransformContext ctx = StateSas.ctx(sa);
            OutboundSequence seq = ctx.outbound();
            s.attach(sa, ctx);
            long disk = onDisk(dir, Direction.OUTBOUND, 0x2001);
            assertEquals(200, disk, "two blocks reserved, and written, before the SA may send");
            long expected = 1;
            long dry = 0;
            for (int round = 0; round < 200; round++) {
                // 300 per 100 ms: the first round asks for more than the first reservation covers.
                for (int i = 0; i < 300; i++) {
                    long n = seq.next();
                    if (n == OutboundSequence.EXHAUSTED) {
                        assertFalse(seq.exhausted());
                        dry++;
                        continue;
                    }
                    assertEquals(expected++, n, "consecutive: nothing repeated, nothing skipped");
                    assertTrue(n <= disk, () -> "number " + n + " handed out beyond the reservation on disk");
                }
                nanos.addAndGet(100_000_000L);
                s.tick();
                disk = onDisk(dir, Direction.OUTBOUND, 0x2001);
            }
            assertEquals(100, dry, "only the first round ran dry: the reservation then followed the demand");
            assertEquals(200 * 300 - 100 + 1, expected);
        }
    }

    @Test
    void theNextBlockIsReservedWellBeforeTheCurrentOneRunsOut() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = StateSas.out(0x2001, 1);
            SaTransformContext ctx = attached(s, sa);
            long start = s.writes();
            for (int round = 0; round < 400; round++) {
                int perTick = round < 200 ? 50 : 500; // 500/s, then ten times as much
                for (int i = 0; i < perTick; i++) {
                    assertTrue(ctx.outbound().next() != OutboundSequence.EXHAUSTED, "round " + round);
                }
                nanos.addAndGet(100_000_000L);
                s.tick();
            }
            assertEquals(0, ctx.outbound().starved(), "no packet ever waited for a reservation");
            long writes = s.writes() - start;
            assertTrue(writes >= 10 && writes <= 40, "about one write per two seconds of traffic, not per packet: " + writes);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // only a deadlock (a store lock on the packet path) gets near this
    void takingNumbersDoesNoIoTakesNoStoreLockAndAllocatesNothing() throws Exception {
        try (SequenceStore s = open(dir, new SequenceStore.Tuning(1 << 21, 2.0, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofDays(30)))) {
            SecurityAssociation sa = StateSas.out(0x2001, 1);
            SaTransformContext ctx = StateSas.ctx(sa);
            OutboundSequence seq = ctx.outbound();
            s.attach(sa, ctx);
            long writes = s.writes();
            long fileSize = Files.size(s.file());
            long modified = Files.getLastModifiedTime(s.file()).toMillis();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> {
                synchronized (s) { // as a write stuck in fsync would hold it
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            holder.start();
            held.await();
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long got = 0;
            long allocated = Long.MAX_VALUE;
            int rounds = 0;
            try {
                // The fewest bytes any warm round allocated: a per-call allocation shows in every round (a million
                // times over), while the runtime was seen once, at load 6, to charge a round 1608 bytes of its own.
                for (int round = 0; round < 3 || (round < 6 && allocated != 0); round++) {
                    rounds++;
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 500_000; i++) {
                        if (seq.next() != OutboundSequence.EXHAUSTED) {
                            got++;
                        }
                    }
                    if (round >= 2) {
                        allocated = Math.min(allocated, mx.getCurrentThreadAllocatedBytes() - before);
                    }
                }
            } finally {
                release.countDown();
                holder.join();
            }
            assertEquals(rounds * 500_000L, got, "all inside the reservation, taken while the store was locked");
            assertEquals(0, allocated, "bytes allocated by half a million numbers, in the least of the warm rounds");
            assertEquals(writes, s.writes(), "no write for numbers inside the reservation");
            assertEquals(fileSize, Files.size(s.file()));
            assertEquals(modified, Files.getLastModifiedTime(s.file()).toMillis());
        }
    }

    @Test
    void aKilledProcessContinuesAboveEveryNumberItHandedOut() throws Exception {
        Path state = dir.resolve("state");
        Path last = dir.resolve("last-number");
        Files.write(last, new byte[8]);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SequenceStoreCrashChild.class.getName(),
                state.toString(), last.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long seen;
        try {
            seen = 0;
            for (int i = 0; i < 1200 && p.isAlive() && seen < 200_000; i++) {
                Thread.sleep(50);
                seen = lastNumber(last);
            }
            assertTrue(p.isAlive(), () -> "child died: " + read(dir.resolve("child.log")));
            assertTrue(seen >= 200_000, "the child went through many reservations of 64 + its rate: " + seen);
            p.destroyForcibly(); // SIGKILL: no orderly shutdown, no last write
            p.waitFor();
            assertEquals(137, p.exitValue(), "killed by SIGKILL");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor();
            }
        }
        long handedOut = lastNumber(last);
        long disk = onDisk(state, Direction.OUTBOUND, 0x5001);
        assertTrue(disk >= handedOut, "reserved " + disk + " < handed out " + handedOut);
        try (SequenceStore s = open(state, SMALL)) {
            SecurityAssociation sa = StateSas.out(0x5001, 7);
            SaTransformContext ctx = attached(s, sa);
            long first = ctx.outbound().next();
            assertEquals(disk + 1, first, "the restarted SA starts above the last reservation");
            assertTrue(first > handedOut);
        }
    }

    private static long lastNumber(Path f) throws Exception {
        return ByteBuffer.wrap(Files.readAllBytes(f)).getLong(0);
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void orderlyShutdownRecordsTheExactLastNumberAndOnlyTheSameKeyContinues() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = attachAndSend(s, StateSas.out(0x2001, 1), 10);
            sa.kill();
            s.detach(sa);
        }
        assertEquals(10, onDisk(dir, Direction.OUTBOUND, 0x2001), "nothing reserved but unused is left after an orderly stop");
        try (SequenceStore s = open()) {
            assertEquals(11, firstNumber(s, StateSas.out(0x2001, 1)), "same SPI, same key: continues");
            assertEquals(1, firstNumber(s, StateSas.out(0x2001, 2)), "same SPI, new key: starts afresh");
            assertEquals(1, firstNumber(s, StateSas.out(0x2002, 1)), "another SA");
        }
        String file = Files.readString(dir.resolve(StateFile.NAME));
        assertFalse(file.contains("0101010101"), "the key itself is never written");
    }

    /** Attaches {@code sa} to {@code s} and returns its transform context. */
    private static SaTransformContext attached(SequenceStore s, SecurityAssociation sa) {
        SaTransformContext ctx = StateSas.ctx(sa);
        s.attach(sa, ctx);
        return ctx;
    }

    /** Attaches {@code sa} and takes {@code n} sequence numbers from it. */
    private static SecurityAssociation attachAndSend(SequenceStore s, SecurityAssociation sa, int n) {
        SaTransformContext ctx = attached(s, sa);
        for (int i = 0; i < n; i++) {
            ctx.outbound().next();
        }
        return sa;
    }

    private static long firstNumber(SequenceStore s, SecurityAssociation sa) {
        return attached(s, sa).outbound().next();
    }

    @Test
    void reinstallingWithTheSameKeysContinuesInTheSameProcess() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = attachAndSend(s, StateSas.out(0x2001, 1), 5);
            assertThrows(IllegalStateException.class, () -> s.attach(StateSas.out(0x2001, 1), StateSas.ctx(StateSas.out(0x2001, 1))),
                    "one key serves one SA at a time");
            sa.kill();
            s.detach(sa);
            long writes = s.writes();
            assertEquals(6, firstNumber(s, StateSas.out(0x2001, 1)));
            assertEquals(writes, s.writes(), "the rest of the reservation is still valid");
        }
    }

    @Test
    void aDamagedStateFileIsRefusedWithItsName() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = StateSas.out(0x2001, 1);
            s.attach(sa, StateSas.ctx(sa));
        }
        Path f = dir.resolve(StateFile.NAME);
        String good = Files.readString(f);
        Files.writeString(f, good.substring(0, good.lastIndexOf("crc32")));
        StateException truncated = assertThrows(StateException.class, this::open);
        assertTrue(truncated.getMessage().contains(f.toString()) && truncated.getMessage().contains("truncated"), truncated.getMessage());
        Files.writeString(f, good.replace("reserved=200", "reserved=100"));
        StateException altered = assertThrows(StateException.class, this::open);
        assertTrue(altered.getMessage().contains("checksum"), altered.getMessage());
        Files.writeString(f, "garbage\n");
        assertThrows(StateException.class, this::open);
        // A crash during a write leaves the temporary file: ignored, the renamed file is the state.
        Files.writeString(f, good);
        Files.writeString(dir.resolve(StateFile.TEMP), good.substring(0, 20));
        try (SequenceStore s = open()) {
            assertFalse(Files.exists(dir.resolve(StateFile.TEMP)));
            assertEquals(201, firstNumber(s, StateSas.out(0x2001, 1)));
        }
    }

    @Test
    void aStateDirectoryThatCannotBeUsedIsRefusedByName() throws Exception {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        StateException notDir = assertThrows(StateException.class, () -> open(file.resolve("state"), SMALL));
        assertTrue(notDir.getMessage().contains(file.resolve("state").toString()), notDir.getMessage());
        try (SequenceStore s = open()) {
            StateException busy = assertThrows(StateException.class, this::open);
            assertTrue(busy.getMessage().contains("in use") && busy.getMessage().contains(dir.toString()), busy.getMessage());
        }
        open().close(); // the lock went with the first store
    }

    @Test
    void aLateReservationDropsInsteadOfSendingAndRecovers() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation sa = StateSas.out(0x2001, 1);
            SaTransformContext ctx = attached(s, sa);
            for (int i = 0; i < 200; i++) {
                ctx.outbound().next();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p); // the directory is gone: the next write fails
                }
            }
            nanos.addAndGet(100_000_000L);
            s.tick();
            assertTrue(logged("event=state_write_failed file=" + dir.resolve(StateFile.NAME) + " error=\"java.nio.file.NoSuchFileException"),
                    log.list::toString);
            assertEquals(OutboundSequence.EXHAUSTED, ctx.outbound().next(), "no unreserved number is sent");
            assertFalse(ctx.outbound().exhausted());
            Files.createDirectories(dir);
            nanos.addAndGet(100_000_000L);
            s.tick();
            assertTrue(logged("event=state_write_recovered"), log.list::toString);
            assertEquals(201, ctx.outbound().next());
        }
    }

    @Test
    void recordsOfGoneSasAreRemovedAfterTheRetention() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation gone = StateSas.out(0x2001, 1);
            SecurityAssociation kept = StateSas.out(0x2002, 2);
            s.attach(gone, StateSas.ctx(gone));
            s.attach(kept, StateSas.ctx(kept));
            gone.kill();
            s.detach(gone);
            epoch.addAndGet(Duration.ofDays(29).toSeconds());
            assertEquals(0, s.removeStale(), "a connection removed and added back within the retention continues");
            epoch.addAndGet(Duration.ofDays(2).toSeconds());
            assertEquals(1, s.removeStale());
            s.tick();
            List<StateFile.Entry> left = StateFile.read(dir.resolve(StateFile.NAME));
            assertEquals(List.of(0x2002), left.stream().map(StateFile.Entry::spi).toList());
        }
    }

    @Test
    void theInboundWindowTopIsWrittenAndRestored() throws Exception {
        try (SequenceStore s = open()) {
            SecurityAssociation in = StateSas.in(0x1001, 3, 64);
            SaTransformContext ctx = StateSas.ctx(in);
            s.attach(in, ctx);
            ctx.window().update(1000);
            nanos.addAndGet(500_000_000L);
            s.tick();
            assertTrue(StateFile.read(dir.resolve(StateFile.NAME)).stream().noneMatch(e -> e.value() == 1000),
                    "not before the interval");
            nanos.addAndGet(500_000_000L);
            s.tick();
            assertEquals(1000, onDisk(dir, Direction.INBOUND, 0x1001), "written once a second while it moves");
            ctx.window().update(1500);
            in.kill();
            s.detach(in);
        }
        assertEquals(1500, onDisk(dir, Direction.INBOUND, 0x1001), "the last top, at removal and shutdown");
        try (SequenceStore s = open()) {
            SecurityAssociation in = StateSas.in(0x1001, 3, 64);
            SaTransformContext ctx = StateSas.ctx(in);
            s.attach(in, ctx);
            ReplayWindow w = ctx.window();
            assertEquals(ReplayWindow.REPLAYED, w.check(1500));
            assertEquals(ReplayWindow.REPLAYED, w.check(1450), "may have arrived before the restart");
            assertEquals(ReplayWindow.TOO_OLD, w.check(1400));
            assertEquals(ReplayWindow.OK, w.check(1501));
            assertTrue(logged("event=replay_window_restored spi=0x00001001"), log.list::toString);

            SecurityAssociation noReplay = StateSas.in(0x1002, 3, 0);
            SaTransformContext c2 = StateSas.ctx(noReplay);
            s.attach(noReplay, c2);
            assertEquals(0, c2.window().top(), "replay-window 0: a peer that restarts at 1 is accepted");
        }
    }

    @Test
    void theEndOfTheSpaceIsPermanentAndSaidInTheLog() throws Exception {
        SecurityAssociation sa = StateSas.out(0x2003, 5);
        StateFile.write(dir, List.of(new StateFile.Entry(Direction.OUTBOUND, IpsecProtocol.ESP, 0x2003,
                SequenceStore.fingerprint(sa), SequenceNumbers.MAX_32 - 2, epoch.get())));
        try (SequenceStore s = open()) {
            SaTransformContext ctx = StateSas.ctx(sa);
            s.attach(sa, ctx);
            nanos.addAndGet(100_000_000L);
            s.tick();
            assertTrue(logged("event=sequence_low spi=0x00002003"), log.list::toString);
            assertEquals(SequenceNumbers.MAX_32 - 1, ctx.outbound().next());
            assertEquals(SequenceNumbers.MAX_32, ctx.outbound().next());
            assertEquals(OutboundSequence.EXHAUSTED, ctx.outbound().next());
            assertTrue(ctx.outbound().exhausted());
            nanos.addAndGet(100_000_000L);
            s.tick();
            assertTrue(logged("event=sequence_exhausted spi=0x00002003"), log.list::toString);
            sa.kill();
            s.detach(sa);
        }
        log.list.clear();
        try (SequenceStore s = open()) {
            SecurityAssociation again = StateSas.out(0x2003, 5);
            SaTransformContext ctx = attached(s, again);
            assertTrue(ctx.outbound().exhausted(), "a restart does not bring the numbers back");
            assertTrue(logged("event=sequence_exhausted spi=0x00002003"), "said at once, before any packet");
        }
    }

    @Test
    void anEsnCounterContinuesPastTwoToThe32() throws Exception {
        SecurityAssociation sa = StateSas.sa(Direction.OUTBOUND, 0x2004, 6, 64, true);
        StateFile.write(dir, List.of(new StateFile.Entry(Direction.OUTBOUND, IpsecProtocol.ESP, 0x2004,
                SequenceStore.fingerprint(sa), 0x1_0000_0005L, epoch.get())));
        try (SequenceStore s = open()) {
            assertEquals(0x1_0000_0006L, firstNumber(s, sa));
        }
    }
}
