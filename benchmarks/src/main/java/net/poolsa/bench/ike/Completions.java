package net.poolsa.bench.ike;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * When each side of each tunnel of one round had its child SAs up: a tunnel setup is complete when both the
 * initiator and the responder installed them (the responder does so last, on Quick Mode's HASH(3)). Written from
 * the engines' or the VICI readers' threads, read by the driver.
 */
final class Completions {
    private final long[] initiator;
    private final long[] responder;
    private int complete;
    private String failure;

    Completions(int tunnels) {
        initiator = new long[tunnels];
        responder = new long[tunnels];
    }

    /** Tunnel {@code k} is up at the initiator ({@code initiatorSide}) or the responder, at {@code nanos}. */
    synchronized void up(int k, boolean initiatorSide, long nanos) {
        if (k < 0 || k >= initiator.length) {
            return;
        }
        long[] side = initiatorSide ? initiator : responder;
        if (side[k] != 0) {
            return;
        }
        side[k] = nanos;
        if (initiator[k] != 0 && responder[k] != 0) {
            complete++;
            notifyAll();
        }
    }

    /** A negotiation failed: the round is void. */
    synchronized void failed(String why) {
        if (failure == null) {
            failure = why;
        }
        notifyAll();
    }

    /** Waits until {@code count} tunnels are complete; throws on a failure or after {@code timeoutMillis}. */
    synchronized void await(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (complete < count && failure == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException(complete + " of " + count + " tunnels complete after " + timeoutMillis
                        + " ms (initiator up: " + Arrays.stream(initiator).filter(t -> t != 0).count() + ", responder up: "
                        + Arrays.stream(responder).filter(t -> t != 0).count() + ")");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** When tunnel {@code k} was complete (the later side), 0 if it is not. */
    synchronized long done(int k) {
        return initiator[k] == 0 || responder[k] == 0 ? 0 : Math.max(initiator[k], responder[k]);
    }
}
