package net.poolsa.esp.path;

import java.time.Duration;
import java.util.Objects;

/**
 * The timers of path monitoring, after BFD (RFC 5880 §6.8.4): a path whose SAs send traffic without getting
 * evidence back is probed every {@code probeInterval} and declared down after {@code detectMultiplier} intervals
 * without evidence (the detection time); an idle path is probed every {@code idleProbeInterval} only, and a path
 * with traffic in both directions is not probed at all (its packets are the evidence). One probe per path pair,
 * whatever the number of SAs on it, and never more than {@code maxProbesPerSecond} in all.
 *
 * <p>Anti-flapping: an SA moves back to a more preferred path only after that path has been up for
 * {@code switchBackAfter} (hysteresis), and an SA makes at most {@code switchLimit} discretionary switches (back to a
 * preferred path, or following the peer) per {@code switchLimitWindow} (a token bucket). Moving away from a path
 * that failed is never held back.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5880#section-6.8.4">RFC 5880 §6.8.4 (detection time)</a>
 */
public record PathTimers(Duration probeInterval, Duration idleProbeInterval, int detectMultiplier, int maxProbesPerSecond,
                         Duration switchBackAfter, int switchLimit, Duration switchLimitWindow) {
    /** Below this the event loop's timer and the scheduler's jitter on a loaded host make the interval meaningless. */
    public static final Duration MIN_PROBE_INTERVAL = Duration.ofMillis(10);
    public static final Duration MAX_IDLE_PROBE_INTERVAL = Duration.ofSeconds(60);
    /** RFC 5880 §4.1: Detect Mult is a nonzero 8-bit value. */
    public static final int MAX_DETECT_MULTIPLIER = 255;
    public static final int MAX_PROBES_PER_SECOND = 100_000;
    public static final Duration MAX_SWITCH_BACK_AFTER = Duration.ofHours(1);
    public static final int MAX_SWITCH_LIMIT = 1000;
    public static final Duration MIN_SWITCH_LIMIT_WINDOW = Duration.ofSeconds(1);
    public static final Duration MAX_SWITCH_LIMIT_WINDOW = Duration.ofHours(1);
    // After the limits: a static initializer runs in order, and the constructor checks against them.
    /** Detection in 120 ms on a busy path (at most 150 ms, the target), idle paths probed once a second. */
    public static final PathTimers DEFAULTS = new PathTimers(Duration.ofMillis(40), Duration.ofSeconds(1), 3, 1000,
            Duration.ofSeconds(5), 4, Duration.ofSeconds(10));

    /** @throws IllegalArgumentException naming the first value out of its range */
    public PathTimers {
        Objects.requireNonNull(probeInterval, "probe interval");
        Objects.requireNonNull(idleProbeInterval, "idle probe interval");
        Objects.requireNonNull(switchBackAfter, "switch-back delay");
        Objects.requireNonNull(switchLimitWindow, "switch limit window");
        if (probeInterval.compareTo(MIN_PROBE_INTERVAL) < 0) {
            throw new IllegalArgumentException("probe interval " + probeInterval.toMillis() + " ms is below the minimum of "
                    + MIN_PROBE_INTERVAL.toMillis() + " ms");
        }
        if (idleProbeInterval.compareTo(probeInterval) < 0 || idleProbeInterval.compareTo(MAX_IDLE_PROBE_INTERVAL) > 0) {
            throw new IllegalArgumentException("idle probe interval " + idleProbeInterval.toMillis() + " ms is not within the probe "
                    + "interval (" + probeInterval.toMillis() + " ms) and " + MAX_IDLE_PROBE_INTERVAL.toSeconds() + " s");
        }
        if (detectMultiplier < 1 || detectMultiplier > MAX_DETECT_MULTIPLIER) {
            throw new IllegalArgumentException("detect multiplier " + detectMultiplier + " is not within 1-" + MAX_DETECT_MULTIPLIER
                    + " (RFC 5880 §4.1)");
        }
        if (maxProbesPerSecond < 1 || maxProbesPerSecond > MAX_PROBES_PER_SECOND) {
            throw new IllegalArgumentException("probe rate " + maxProbesPerSecond + "/s is not within 1-" + MAX_PROBES_PER_SECOND);
        }
        if (switchBackAfter.isNegative() || switchBackAfter.compareTo(MAX_SWITCH_BACK_AFTER) > 0) {
            throw new IllegalArgumentException("switch-back delay " + switchBackAfter.toMillis() + " ms is not within 0 and "
                    + MAX_SWITCH_BACK_AFTER.toMinutes() + " min");
        }
        if (switchLimit < 1 || switchLimit > MAX_SWITCH_LIMIT) {
            throw new IllegalArgumentException("switch limit " + switchLimit + " is not within 1-" + MAX_SWITCH_LIMIT);
        }
        if (switchLimitWindow.compareTo(MIN_SWITCH_LIMIT_WINDOW) < 0 || switchLimitWindow.compareTo(MAX_SWITCH_LIMIT_WINDOW) > 0) {
            throw new IllegalArgumentException("switch limit window " + switchLimitWindow.toMillis() + " ms is not within "
                    + MIN_SWITCH_LIMIT_WINDOW.toSeconds() + " s and " + MAX_SWITCH_LIMIT_WINDOW.toMinutes() + " min");
        }
    }

    /** How long a busy path may stay without evidence before it is declared down. */
    public Duration detectionTime() {
        return probeInterval.multipliedBy(detectMultiplier);
    }

    /** How long an idle path may stay without evidence before it is declared down. */
    public Duration idleDetectionTime() {
        return idleProbeInterval.multipliedBy(detectMultiplier);
    }
}
