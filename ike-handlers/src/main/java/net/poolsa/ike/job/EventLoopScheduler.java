package net.poolsa.ike.job;

import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The production {@link Scheduler}: the IKE transport's event loop and {@link System#nanoTime()}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2</a>
 */
public final class EventLoopScheduler implements Scheduler {
    private final EventLoop loop;

    public EventLoopScheduler(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public long nowMillis() {
        return System.nanoTime() / 1_000_000L;
    }

    @Override
    public Cancellable schedule(Runnable job, long delayMillis) {
        ScheduledFuture<?> f = loop.schedule(job, delayMillis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public void execute(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}
