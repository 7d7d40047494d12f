package net.poolsa.ike.exchange;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.sa.IkeSa;

/**
 * Runs the expensive pure computations of an exchange (Diffie-Hellman key pairs and agreements, our signature, the
 * check of the peer's certificate path and signature) on a bounded worker
 * pool and continues the exchange on the IKE thread when the result is ready, so that the concurrent setups of one
 * engine use every core (strongSwan's charon does the same with its worker threads). Only the computation leaves the
 * IKE thread: it takes values the exchange handed over (a key pair it no longer holds, copied bytes), and its result
 * comes back through the {@link Scheduler}, where the exchange's state is touched. A result whose exchange has ended
 * meanwhile (the SA removed, the exchange replaced) is discarded: its secrets are wiped, nothing is sent. The
 * exchange marks itself busy while its computation is out, so that a retransmitted message does not start a second one.
 *
 * <p>Without a pool (tests on virtual time, or an engine configured with 0 crypto threads) the work runs at once on
 * the IKE thread, in the order it always did.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (the g^xy every exchange computes)</a>
 */
final class Offload {
    /** A pure computation: it touches no exchange state, only what it was handed. */
    @FunctionalInterface
    interface Work<T> {
        T call() throws IkeProtocolException;
    }

    /** What the exchange does with the outcome, on the IKE thread; {@link Done#get} rethrows the work's refusal. */
    @FunctionalInterface
    interface Step<T> {
        void accept(Done<T> done) throws IkeProtocolException;
    }

    /** The exchange a computation belongs to: whether it still waits for it, and its busy mark to clear. */
    interface Owner {
        /** The exchange is still the SA's current one (not ended or replaced while the work was out). */
        boolean current();

        /** The computation is back: messages are taken again. */
        void settled();
    }

    /** The outcome of a computation: its result, or what it threw. */
    static final class Done<T> {
        private final T result;
        private final Exception failure;

        private Done(T result, Exception failure) {
            this.result = result;
            this.failure = failure;
        }

        /** An outcome known without computing (a pre-shared key has nothing to sign or verify). */
        static <T> Done<T> of(T result) {
            return new Done<>(result, null);
        }

        T get() throws IkeProtocolException {
            if (failure instanceof IkeProtocolException) {
                throw (IkeProtocolException) failure;
            } else if (failure != null) {
                throw (RuntimeException) failure;
            }
            return result;
        }

        /** The result, null when the work failed. */
        T result() {
            return result;
        }
    }

    private final IkeContext ctx;
    private final Executor pool;
    private Dispatcher dispatcher;

    /** {@code pool} null: every computation runs at once on the IKE thread. */
    Offload(IkeContext ctx, Executor pool) {
        this.ctx = ctx;
        this.pool = pool;
    }

    void dispatcher(Dispatcher d) {
        this.dispatcher = d;
    }

    /**
     * Computes {@code work} off the IKE thread and then runs {@code then} on it, if {@code sa} is still in the table
     * and {@code owner} still current; otherwise {@code discard} wipes the result (it gets null when the work
     * failed). A refusal thrown by {@code then} is handled as the refusal of {@code r} (null for a computation no
     * message started: its failure can only be our bug and is logged). Inline (no pool) it all happens before this
     * returns, and a refusal propagates to the caller as it always did.
     */
    <T> void run(IkeSa sa, Received r, Owner owner, Work<T> work, Step<T> then, Consumer<T> discard)
            throws IkeProtocolException {
        if (pool == null) {
            Done<T> d = compute(work);
            owner.settled();
            then.accept(d);
            return;
        }
        try {
            pool.execute(() -> {
                Done<T> d = compute(work);
                try {
                    ctx.scheduler().execute(() -> resume(sa, r, owner, d, then, discard));
                } catch (RejectedExecutionException closed) {
                    discard.accept(d.result()); // the engine's loop is shut down: nobody will take the result
                }
            });
        } catch (RejectedExecutionException closed) {
            throw new IllegalStateException("the IKE crypto pool is shut down", closed);
        }
    }

    private static <T> Done<T> compute(Work<T> work) {
        try {
            return new Done<>(work.call(), null);
        } catch (IkeProtocolException | RuntimeException e) {
            return new Done<>(null, e);
        }
    }

    private <T> void resume(IkeSa sa, Received r, Owner owner, Done<T> d, Step<T> then, Consumer<T> discard) {
        if (ctx.table().byLocalCookie(sa.localCookie()) != sa || !owner.current()) {
            discard.accept(d.result());
            return;
        }
        owner.settled();
        try {
            then.accept(d);
        } catch (IkeProtocolException e) {
            if (r != null) {
                dispatcher.refused(r, sa, e);
            } else {
                IkeContext.LOG.warn("event=ike_offload_failed sa={} error=\"{}\"", sa, e.getMessage());
            }
        } catch (RuntimeException e) {
            IkeContext.LOG.warn("event=ike_offload_failed sa={} error=\"{}\"", sa, e.toString());
        }
    }
}
