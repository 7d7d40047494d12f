package net.poolsa.appliance.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.replay.SequenceNumbers;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * Durable sequence-number state of manually keyed SAs (RFC 4303 §3.3.3: with manual keys "the sequence number
 * counter at the sender MUST be correctly maintained across local reboots, etc., until the key is replaced").
 *
 * <p><b>Outbound</b>: numbers are reserved ahead of use. A reservation is written to the state file and fsync'd
 * before the SA's {@link OutboundSequence} may hand its numbers out, so no number is ever sent that a crash
 * could forget. A background thread reserves the next block well before the current one runs out (two
 * seconds of the observed rate ahead, at least {@link Tuning#minBlock()}); the per-packet path does no I/O,
 * takes no lock and allocates nothing. If a reservation is late, the data path drops the packet as
 * {@code sequence_unreserved} rather than send an unreserved number. After a restart or crash the SA starts
 * above the last reservation (an orderly shutdown records the exact last number, so nothing is skipped).
 *
 * <p><b>Inbound</b>: the top of the anti-replay window is written every {@link Tuning#inboundPersist()} while it
 * moves, when the SA is removed and at shutdown, and restored when the SA is installed again, so that packets
 * captured before a restart cannot be replayed after it. Residual exposure: packets accepted after the last
 * write before a crash can be replayed once after the restart.
 *
 * <p>Records are keyed by direction, protocol, SPI and a SHA-256 fingerprint of the algorithms and keys (never
 * the key): the same key continues, a new key starts afresh. A record whose SA is gone is kept for
 * {@link Tuning#retention()} after it was last used (so removing a connection and adding it back with the same
 * keys continues its counter), then removed. One poolsa per directory: a lock file refuses a second one.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.3.3">RFC 4303 §3.3.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3">RFC 4303 §3.4.3</a>
 */
public final class SequenceStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SequenceStore.class);
    /** The default state directory (the systemd unit's {@code StateDirectory=poolsa}). */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/poolsa");
    static final String LOCK = "lock";
    /** A 32-bit SA with fewer numbers left than this (a tenth of the space) is reported once. */
    static final long LOW_32 = (SequenceNumbers.MAX_32 + 1) / 10;

    /**
     * How far ahead numbers are reserved and how often state is written.
     *
     * @param minBlock        the smallest reservation ahead of the last used number
     * @param headroomSeconds reserve again once less than this many seconds of the observed rate are left
     * @param tick            how often the background thread looks at the counters
     * @param inboundPersist  how often a moving inbound window top is written
     * @param retention       how long a record outlives its SA
     */
    public record Tuning(long minBlock, double headroomSeconds, Duration tick, Duration inboundPersist, Duration retention) {
        public static final Tuning DEFAULT = new Tuning(4096, 2.0, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofDays(30));
    }

    private record Key(Direction direction, IpsecProtocol protocol, int spi, String fingerprint) {
    }

    /** One SA's record: what is on disk, and the live objects while an SA of this key is installed. */
    private static final class Rec {
        final Key key;
        /** Outbound: the highest number that may have been sent (reserved on disk). Inbound: the window top on disk. */
        long value;
        long updated;
        SecurityAssociation sa;
        OutboundSequence seq;
        ReplayWindow window;
        /** Outbound, after an SA of this key was removed in this process: the first number it did not use. */
        boolean nextKnown;
        long nextFree;
        /** Inbound, after the SA was removed: its last window top, written with the next write. */
        long pendingTop;
        long lastUsed;
        long lastStarved;
        long lastNanos;
        boolean warnedLow;
        boolean warnedExhausted;

        Rec(Key key) {
            this.key = key;
        }
    }

    private final Path dir;
    private final Tuning tuning;
    private final LongSupplier nanos;
    private final LongSupplier epochSeconds;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<Key, Rec> records = new LinkedHashMap<>();
    private ScheduledExecutorService reserver;
    private long writes;
    private boolean dirty;
    private boolean failing;
    private boolean closed;

    private SequenceStore(Path dir, Tuning tuning, LongSupplier nanos, LongSupplier epochSeconds, FileChannel lockChannel,
                          FileLock lock) {
        this.dir = dir;
        this.tuning = tuning;
        this.nanos = nanos;
        this.epochSeconds = epochSeconds;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (creating it if needed) and locks {@code dir}, reads the state file and proves the directory writable. */
    public static SequenceStore open(Path dir) throws StateException {
        return open(dir, Tuning.DEFAULT, System::nanoTime, () -> System.currentTimeMillis() / 1000);
    }

    /** As {@link #open(Path)} with other tuning and clocks (tests). */
    static SequenceStore open(Path dir, Tuning tuning, LongSupplier nanos, LongSupplier epochSeconds) throws StateException {
        Path d = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new StateException("state directory " + d + " cannot be created: " + e, e);
        }
        FileChannel lc;
        try {
            lc = FileChannel.open(d.resolve(LOCK), EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new StateException("state directory " + d + " cannot be written: " + e, e);
        }
        FileLock l;
        try {
            l = lc.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        } catch (IOException e) {
            closeQuietly(lc);
            throw new StateException("state directory " + d + " cannot be locked: " + e, e);
        }
        if (l == null) {
            closeQuietly(lc);
            throw new StateException("state directory " + d + " is in use by another poolsa (" + d.resolve(LOCK)
                    + " is locked); give each instance its own --state-dir");
        }
        SequenceStore s = new SequenceStore(d, tuning, nanos, epochSeconds, lc, l);
        try {
            // A temporary file is what a crash in the middle of a write leaves; the renamed file is the state.
            Files.deleteIfExists(d.resolve(StateFile.TEMP));
            for (StateFile.Entry e : StateFile.read(d.resolve(StateFile.NAME))) {
                Rec r = new Rec(new Key(e.direction(), e.protocol(), e.spi(), e.fingerprint()));
                r.value = e.value();
                r.updated = e.updated();
                s.records.put(r.key, r);
            }
            s.persist(Map.of(), true); // proves now, not at the first packet, that the directory takes our writes
        } catch (StateException e) {
            s.unlock();
            throw e;
        } catch (IOException e) {
            s.unlock();
            throw new StateException("state directory " + d + " cannot be written: " + e, e);
        }
        LOG.info("event=state_opened dir={} records={}", d, s.records.size());
        return s;
    }

    /** Starts the background reservations. */
    public synchronized void start() {
        if (reserver == null && !closed) {
            reserver = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "poolsa-sequence");
                t.setDaemon(true);
                return t;
            });
            long period = tuning.tick().toNanos();
            reserver.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.NANOSECONDS);
        }
    }

    public Path directory() {
        return dir;
    }

    /** The state file. */
    public Path file() {
        return dir.resolve(StateFile.NAME);
    }

    /** How many times the state file was written (each write is one fsync'd rename). */
    public synchronized long writes() {
        return writes;
    }

    /**
     * Binds a manually keyed SA to its record before the SA becomes visible to the data path. Outbound: the
     * counter continues after the numbers the key may already have used, and numbers are reserved (written and
     * fsync'd) before this returns. Inbound with anti-replay: the window continues from its recorded top.
     *
     * @throws IllegalStateException when the reservation cannot be written, or an SA with the same key is installed
     */
    public synchronized void attach(SecurityAssociation sa, SaTransformContext ctx) {
        if (closed) {
            throw new IllegalStateException("the sequence-number store is closed");
        }
        if (sa.direction() == Direction.INBOUND && !ctx.replayCheck()) {
            return; // no anti-replay (replay-window 0, or no integrity): nothing to continue
        }
        Key k = new Key(sa.direction(), sa.protocol(), sa.spi(), fingerprint(sa));
        Rec r = records.get(k);
        if (r != null && r.sa != null) {
            if (r.sa.state() != SaState.DEAD) {
                throw new IllegalStateException("SA " + sa.spiHex() + " (" + direction(sa) + ") with the same keys is already"
                        + " installed: one key may serve one SA only");
            }
            release(r);
        }
        if (r == null) {
            r = new Rec(k);
            records.put(k, r);
        }
        r.updated = epochSeconds.getAsLong();
        if (sa.direction() == Direction.INBOUND) {
            r.sa = sa;
            r.window = ctx.window();
            long top = umax(r.value, r.pendingTop);
            if (top != 0) {
                r.window.restore(top);
                LOG.info("event=replay_window_restored spi={} reqid={} top={}", sa.spiHex(), sa.reqid(), Long.toUnsignedString(top));
            }
            r.lastNanos = nanos.getAsLong();
            return;
        }
        OutboundSequence seq = ctx.outbound();
        // Unsigned: after 2^64-1 the next value is 0, which the counter takes as "used up".
        long start = r.nextKnown ? r.nextFree : r.value + 1;
        seq.skipTo(start);
        r.sa = sa;
        r.seq = seq;
        r.nextKnown = false;
        r.lastUsed = seq.peek() - 1;
        r.lastStarved = seq.starved();
        r.lastNanos = nanos.getAsLong();
        r.warnedLow = false;
        r.warnedExhausted = false;
        if (seq.exhausted()) {
            seq.reserveUpTo(r.value);
            reportExhausted(r);
            return;
        }
        long used = start - 1;
        // The rate is not known yet: at least one block ahead, topped up to two (a reload within the
        // reservation writes nothing).
        if (Long.compareUnsigned(r.value - used, tuning.minBlock()) < 0 && r.value != seq.last()) {
            try {
                persist(Map.of(r, plus(used, 2 * tuning.minBlock(), seq.last())), false);
            } catch (IOException e) {
                throw new IllegalStateException("cannot reserve sequence numbers for SA " + sa.spiHex() + " in " + file() + ": " + e, e);
            }
        }
        seq.reserveUpTo(r.value);
        if (start != 1) {
            LOG.info("event=sequence_continued spi={} reqid={} first={} reserved={}", sa.spiHex(), sa.reqid(),
                    Long.toUnsignedString(start), Long.toUnsignedString(r.value));
        }
    }

    /** Unbinds a removed (killed) SA; its last numbers are written with the next write. */
    public synchronized void detach(SecurityAssociation sa) {
        for (Rec r : records.values()) {
            if (r.sa == sa) {
                release(r);
                return;
            }
        }
    }

    /** Removes the records of SAs that have been gone for longer than {@link Tuning#retention()}. */
    public synchronized int removeStale() {
        long cutoff = epochSeconds.getAsLong() - tuning.retention().toSeconds();
        int before = records.size();
        records.values().removeIf(r -> r.sa == null && r.updated < cutoff);
        int removed = before - records.size();
        if (removed > 0) {
            dirty = true;
            LOG.info("event=state_records_removed count={} reason=\"SA gone for more than {} days\"", removed,
                    tuning.retention().toDays());
        }
        return removed;
    }

    /**
     * One round of the background thread: reserves ahead for outbound SAs that are running low, writes moving
     * inbound tops, notices SAs that expired on their own. Public for tests that drive it by hand.
     */
    public synchronized void tick() {
        if (closed) {
            return;
        }
        long now = nanos.getAsLong();
        Map<Rec, Long> raise = new HashMap<>();
        boolean inboundDue = false;
        for (Rec r : records.values()) {
            if (r.sa != null && r.sa.state() == SaState.DEAD) {
                release(r); // hard lifetime: the SAD removed it without the control plane
            }
            if (r.seq != null) {
                plan(r, now, raise);
            } else if (r.window != null && r.window.top() != r.value
                    && now - r.lastNanos >= tuning.inboundPersist().toNanos()) {
                inboundDue = true;
            }
        }
        if (raise.isEmpty() && !inboundDue && !dirty) {
            return;
        }
        try {
            persist(raise, false);
            if (failing) {
                LOG.info("event=state_write_recovered file={}", file());
                failing = false;
            }
        } catch (IOException e) {
            if (!failing) {
                LOG.error("event=state_write_failed file={} error=\"{}\" effect=\"manually keyed SAs drop outbound packets"
                        + " (sequence_unreserved) once their reservation is used up; retrying\"", file(), e.toString());
                failing = true;
            }
        }
    }

    private void plan(Rec r, long now, Map<Rec, Long> raise) {
        OutboundSequence s = r.seq;
        if (s.exhausted()) {
            reportExhausted(r);
            return;
        }
        long used = s.peek() - 1;
        long starved = s.starved();
        // Demand = numbers handed out + packets that found none (a late reservation hides the real rate).
        long demand = (used - r.lastUsed) + (starved - r.lastStarved);
        long elapsed = Math.max(1, now - r.lastNanos);
        r.lastUsed = used;
        r.lastStarved = starved;
        r.lastNanos = now;
        double perSecond = demand * 1e9 / elapsed;
        long want = Math.max(tuning.minBlock(), (long) Math.min(perSecond * tuning.headroomSeconds(), 1L << 40));
        if (Long.compareUnsigned(r.value - used, want) < 0 && r.value != s.last()) {
            raise.put(r, plus(used, 2 * want, s.last()));
        }
        if (!s.esn() && !r.warnedLow && Long.compareUnsigned(s.last() - used, LOW_32) < 0) {
            r.warnedLow = true;
            LOG.warn("event=sequence_low spi={} reqid={} direction=out left={} action=\"give the connection new keys (or "
                    + "extended-sequence-numbers) before the numbers run out: a manually keyed SA cannot rekey\"",
                    r.sa.spiHex(), r.sa.reqid(), Long.toUnsignedString(s.last() - used));
        }
    }

    private void reportExhausted(Rec r) {
        if (!r.warnedExhausted) {
            r.warnedExhausted = true;
            LOG.error("event=sequence_exhausted spi={} reqid={} direction=out last={} effect=\"the SA sends nothing more"
                    + " (drops counted as sequence_exhausted)\" action=\"give the connection new keys: a manually keyed SA"
                    + " cannot rekey\"", r.sa.spiHex(), r.sa.reqid(), Long.toUnsignedString(r.seq.last()));
        }
    }

    private void release(Rec r) {
        if (r.seq != null) {
            // Read after the SA was killed: a packet that takes a number after this read is dropped by the
            // transform (its context is closed), so every number below is all the SA can have sent.
            r.nextFree = r.seq.peek();
            r.nextKnown = true;
        }
        if (r.window != null) {
            r.pendingTop = umax(r.pendingTop, r.window.top());
            dirty = true;
        }
        r.sa = null;
        r.seq = null;
        r.window = null;
        r.updated = epochSeconds.getAsLong();
    }

    /**
     * Writes every record, outbound ones raised to {@code outbound} where given, inbound ones at their current top;
     * applies the new values only once the write is durable. {@code exact}: also lowers the reservations of
     * removed outbound SAs to what they used (only safe once no SA of theirs can send any more).
     */
    private void persist(Map<Rec, Long> outbound, boolean exact) throws IOException {
        long now = nanos.getAsLong();
        List<StateFile.Entry> entries = new ArrayList<>(records.size());
        Map<Rec, Long> values = new HashMap<>();
        for (Rec r : records.values()) {
            long v;
            if (r.key.direction() == Direction.OUTBOUND) {
                Long raised = outbound.get(r);
                v = raised != null ? raised : exact && r.sa == null && r.nextKnown ? r.nextFree - 1 : r.value;
            } else {
                v = umax(r.value, r.window != null ? r.window.top() : r.pendingTop);
            }
            values.put(r, v);
            entries.add(new StateFile.Entry(r.key.direction(), r.key.protocol(), r.key.spi(), r.key.fingerprint(), v,
                    r.sa != null ? epochSeconds.getAsLong() : r.updated));
        }
        StateFile.write(dir, entries);
        writes++;
        dirty = false;
        for (Map.Entry<Rec, Long> e : values.entrySet()) {
            Rec r = e.getKey();
            r.value = e.getValue();
            if (r.key.direction() == Direction.INBOUND && r.window != null) {
                r.lastNanos = now;
            }
            if (r.seq != null) {
                r.seq.reserveUpTo(r.value);
            }
        }
    }

    /**
     * Orderly shutdown: stops the background thread, writes the exact last numbers of removed SAs and the window
     * tops, and unlocks the directory. SAs still installed keep their reservation (they might still send).
     */
    @Override
    public void close() {
        ScheduledExecutorService r;
        synchronized (this) {
            if (closed) {
                return;
            }
            r = reserver;
        }
        if (r != null) {
            r.shutdownNow();
            try {
                r.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            for (Rec rec : records.values()) {
                if (rec.sa != null && rec.sa.state() == SaState.DEAD) {
                    release(rec);
                }
            }
            try {
                persist(Map.of(), true);
            } catch (IOException e) {
                LOG.error("event=state_write_failed file={} error=\"{}\" effect=\"the next start skips the unused rest of the"
                        + " reservations\"", file(), e.toString());
            }
            closed = true;
            unlock();
        }
    }

    private void unlock() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // Closing the channel releases it as well.
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing was written through it.
        }
    }

    /**
     * SHA-256 over the protocol, algorithms and keys of {@code sa}, with a label of its own: identifies the key
     * in the state file without revealing it.
     */
    static String fingerprint(SecurityAssociation sa) {
        SaKeys k = sa.keys();
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        md.update("poolsa sequence-number record v1\0".getBytes(StandardCharsets.US_ASCII));
        md.update((sa.protocol().name() + "\0" + k.encryptionAlgorithm() + "\0").getBytes(StandardCharsets.US_ASCII));
        updateLengthPrefixed(md, k.encryptionKey());
        md.update((k.integrityAlgorithm() + "\0").getBytes(StandardCharsets.US_ASCII));
        updateLengthPrefixed(md, k.integrityKey());
        return HexFormat.of().formatHex(md.digest());
    }

    private static void updateLengthPrefixed(MessageDigest md, byte[] b) {
        md.update(new byte[] {(byte) (b.length >>> 8), (byte) b.length});
        md.update(b);
    }

    private static String direction(SecurityAssociation sa) {
        return sa.direction() == Direction.OUTBOUND ? "outbound" : "inbound";
    }

    private static long umax(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /** {@code a + b}, but never past {@code last} (unsigned). */
    private static long plus(long a, long b, long last) {
        return Long.compareUnsigned(last - a, b) <= 0 ? last : a + b;
    }
}
