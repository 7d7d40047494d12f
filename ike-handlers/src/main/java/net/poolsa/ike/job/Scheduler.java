package net.poolsa.ike.job;

/**
 * Time and the one thread of the IKE state: the transport's event loop in production ({@link EventLoopScheduler}),
 * a virtual clock in tests, so that retransmissions and expiries can be checked without waiting.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2 (retransmission)</a>
 */
public interface Scheduler {
    /** A monotonic clock in milliseconds. */
    long nowMillis();

    /** Runs {@code job} on the IKE thread after {@code delayMillis}. */
    Cancellable schedule(Runnable job, long delayMillis);

    /** Runs {@code task} on the IKE thread (at once if called on it). */
    void execute(Runnable task);

    /** A scheduled job that may be called off; cancelling a job that ran does nothing. */
    interface Cancellable {
        Cancellable NONE = () -> {
        };

        void cancel();
    }
}
