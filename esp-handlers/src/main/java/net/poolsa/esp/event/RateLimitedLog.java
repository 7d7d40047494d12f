package net.poolsa.esp.event;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Decides whether a log line for a per-packet cause may be written: at most {@code linesPerWindow} lines
 * per cause in each window, and the first line after a quiet spell reports how many were suppressed.
 * A flood of forged packets thus costs a handful of log lines, not one per packet. Lock-free and
 * allocation-free while it suppresses, so the data path may call it for every drop.
 *
 * <p>A line names the event it was written for (e.g. its SPI), but the suppressed count belongs to other
 * events. {@link #admit(int, long)} therefore remembers a key (an SPI) of the suppressed events too, and a
 * written line gets a {@link Suppressed} summary with the first and last of those keys, so that it can say which
 * keys the count covers instead of implying that they were all the one it prints. The summary is exact when
 * one thread reports a cause (the data-path event loop); with concurrent reporters the count stays exact, the
 * first/last key may be off by the events that raced with the write of the line.
 */
public final class RateLimitedLog {
    /** {@link #permit(int)} result when the line must not be written. */
    public static final long SUPPRESSED = -1;
    /** A key for events that have none (a drop before any SA was found). */
    public static final long NO_KEY = -1;
    private static final int STRIDE = 5;

    private final int linesPerWindow;
    private final long windowNanos;
    private final LongSupplier clock;
    /**
     * Per cause: [window start, lines written in it, lines suppressed since the last written one, key of the first
     * suppressed one, key of the last suppressed one].
     */
    private final AtomicLongArray state;

    public RateLimitedLog(int causes, int linesPerWindow, long windowNanos, LongSupplier clock) {
        if (causes < 1 || linesPerWindow < 1 || windowNanos < 1) {
            throw new IllegalArgumentException("causes, lines per window and window must be positive");
        }
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = windowNanos;
        this.clock = clock;
        this.state = new AtomicLongArray(causes * STRIDE);
        long now = clock.getAsLong();
        for (int i = 0; i < causes; i++) {
            state.set(i * STRIDE, now);
        }
    }

    /** One line per 10 seconds per cause, on the monotonic clock. */
    public static RateLimitedLog perTenSeconds(int causes) {
        return new RateLimitedLog(causes, 1, 10_000_000_000L, System::nanoTime);
    }

    /**
     * For lines that name nothing per event: the count is all they can say about the suppressed ones.
     *
     * @return {@link #SUPPRESSED}, or the number of lines suppressed for this cause since the last
     *         permitted one (include it in the line as {@code suppressed=N})
     */
    public long permit(int cause) {
        Suppressed s = admit(cause, NO_KEY);
        return s == null ? SUPPRESSED : s.count();
    }

    /**
     * @param key what identifies this event in the line (an SPI as an unsigned int), or {@link #NO_KEY}
     * @return null when the line must not be written (the key is remembered for the next line's summary), else
     *         what was suppressed for this cause since the last written line ({@link Suppressed#NONE} if nothing)
     */
    public Suppressed admit(int cause, long key) {
        int base = cause * STRIDE;
        long now = clock.getAsLong();
        long start = state.get(base);
        if (now - start >= windowNanos && state.compareAndSet(base, start, now)) {
            state.set(base + 1, 0);
        }
        if (state.incrementAndGet(base + 1) <= linesPerWindow) {
            long n = state.getAndSet(base + 2, 0);
            return n == 0 ? Suppressed.NONE : new Suppressed(n, state.get(base + 3), state.get(base + 4));
        }
        if (state.incrementAndGet(base + 2) == 1) {
            state.set(base + 3, key);
        }
        state.set(base + 4, key);
        return null;
    }

    /**
     * The events of one cause that were not logged since its previous line.
     *
     * @param count    how many
     * @param firstKey the key of the first of them ({@link #NO_KEY} when it had none)
     * @param lastKey  the key of the last of them
     */
    public record Suppressed(long count, long firstKey, long lastKey) {
        public static final Suppressed NONE = new Suppressed(0, NO_KEY, NO_KEY);

        /**
         * {@code suppressed=N suppressed_first_spi=X suppressed_last_spi=Y}, or the empty string when nothing was
         * suppressed; SPIs as {@code 0x} and 8 hex digits (as {@code SecurityAssociation.spiHex()}), "none" for {@link #NO_KEY}. Leading space included.
         */
        public String describeSpis() {
            if (count == 0) {
                return "";
            }
            return " suppressed=" + count + " suppressed_first_spi=" + spi(firstKey) + " suppressed_last_spi=" + spi(lastKey);
        }

        /** An SPI key as poolsa prints SPIs, or "none". */
        public static String spi(long key) {
            return key == NO_KEY ? "none" : String.format("0x%08x", key);
        }
    }

    /** The key of an SPI: its unsigned value. */
    public static long spiKey(int spi) {
        return spi & 0xFFFF_FFFFL;
    }
}
