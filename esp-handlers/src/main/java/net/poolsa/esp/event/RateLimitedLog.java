package net.poolsa.esp.event;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Decides whether a log line for a per-packet cause may be written: at most {@code linesPerWindow} lines
 * per cause in each window, and the first line after a quiet spell reports how many were suppressed.
 * A flood of forged packets thus costs a handful of log lines, not one per packet. Lock-free and
 * allocation-free, so the data path may call it for every drop.
 */
public final class RateLimitedLog {
    /** {@link #permit(int)} result when the line must not be written. */
    public static final long SUPPRESSED = -1;

    private final int linesPerWindow;
    private final long windowNanos;
    private final LongSupplier clock;
    /** Per cause: [window start, lines written in it, lines suppressed since the last written one]. */
    private final AtomicLongArray state;

    public RateLimitedLog(int causes, int linesPerWindow, long windowNanos, LongSupplier clock) {
        if (causes < 1 || linesPerWindow < 1 || windowNanos < 1) {
            throw new IllegalArgumentException("causes, lines per window and window must be positive");
        }
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = windowNanos;
        this.clock = clock;
        this.state = new AtomicLongArray(causes * 3);
        long now = clock.getAsLong();
        for (int i = 0; i < causes; i++) {
            state.set(i * 3, now);
        }
    }

    /** One line per 10 seconds per cause, on the monotonic clock. */
    public static RateLimitedLog perTenSeconds(int causes) {
        return new RateLimitedLog(causes, 1, 10_000_000_000L, System::nanoTime);
    }

    /**
     * @return {@link #SUPPRESSED}, or the number of lines suppressed for this cause since the last
     *         permitted one (include it in the line as {@code suppressed=N})
     */
    public long permit(int cause) {
        int base = cause * 3;
        long now = clock.getAsLong();
        long start = state.get(base);
        if (now - start >= windowNanos && state.compareAndSet(base, start, now)) {
            state.set(base + 1, 0);
        }
        if (state.incrementAndGet(base + 1) <= linesPerWindow) {
            return state.getAndSet(base + 2, 0);
        }
        state.incrementAndGet(base + 2);
        return SUPPRESSED;
    }
}
