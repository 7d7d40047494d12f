package net.poolsa.esp.transform;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** At most one log line per interval for a category: per-packet failures must not flood the log. */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);

    RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
    }

    void warn(String message, Object... args) {
        long now = System.nanoTime();
        long n = next.get();
        if ((n == Long.MIN_VALUE || now - n >= 0) && next.compareAndSet(n, now + intervalNanos)) {
            log.warn(message, args);
        }
    }
}
