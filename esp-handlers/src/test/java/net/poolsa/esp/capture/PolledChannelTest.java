package net.poolsa.esp.capture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.IoEventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import net.poolsa.esp.emit.PacketSink;
import org.junit.jupiter.api.Test;

/**
 * The epoll read of a {@link PolledChannel} when its source misbehaves, with a pipe as the source: an error that
 * reading does not clear (a pipe whose writer is gone reports EPOLLHUP for ever, level-triggered) and a source whose
 * every read fails. The loop must neither spin on it nor stop watching the source for good.
 */
class PolledChannelTest {
    @Test
    void aSourceThatKeepsReportingAnErrorIsWatchedWithPausesNotSpunOn() throws Exception {
        int[] fds = new int[2];
        Pipe.pipe(fds);
        Pipe.close(fds[1]); // no writer: the read end reports EPOLLHUP until it is closed
        SingleThreadEventLoop loop = PolledChannel.newEventLoop(new DefaultThreadFactory("h19r-hup", true));
        try {
            assertTrue(loop instanceof IoEventLoop, "epoll loops by default where Netty's epoll is available");
            PipeChannel ch = new PipeChannel(fds[0], 0);
            loop.register(ch).sync();
            Thread.sleep(1000);
            int reports = ch.emptyWakeups();
            // Unpaused, a level-triggered report comes back at once: hundreds of thousands a second. Stopped for
            // good (as before), one. Paused for POLL_MILLIS after every ERRORS_BEFORE_PAUSE: about 40.
            assertTrue(reports >= 10, reports + " reports in 1 s: the source is still watched after a pause");
            assertTrue(reports <= 100, reports + " reports in 1 s: the loop spins on the error");
            assertTrue(ch.isOpen());
            ch.close().sync();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            Pipe.close(fds[0]);
        }
    }

    @Test
    void aSourceWhoseReadsFailIsTriedAgainEverySecondAndStaysOpen() throws Exception {
        int[] fds = new int[2];
        Pipe.pipe(fds);
        try (com.sun.jna.Memory one = new com.sun.jna.Memory(1)) {
            one.setByte(0, (byte) 1);
            Pipe.write(fds[1], one, 1); // readable for ever: nothing reads the pipe
        }
        SingleThreadEventLoop loop = PolledChannel.newEventLoop(new DefaultThreadFactory("h19r-fail", true));
        try {
            PipeChannel ch = new PipeChannel(fds[0], -1);
            loop.register(ch).sync();
            Thread.sleep(PolledChannel.RETRY_MILLIS * 5 / 2);
            int reads = ch.reads;
            assertTrue(reads == 3, reads + " failed reads in 2.5 s: one at once, then one a second (closed for good before: 1)");
            assertTrue(ch.isOpen(), "a source whose read failed stays open");
            ch.close().sync();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            Pipe.close(fds[0]);
            Pipe.close(fds[1]);
        }
    }

    /** Reads nothing from the pipe; every read returns {@code result}. */
    private static final class PipeChannel extends PolledChannel {
        private final int fd;
        private final int result;
        volatile int reads;

        PipeChannel(int fd, int result) {
            super("h19r-pipe", new PacketSink() {
                @Override
                public void send(ByteBuf packet) {
                    packet.release();
                }

                @Override
                public void flush() {
                }
            });
            this.fd = fd;
            this.result = result;
        }

        @Override
        protected void startSource() {
        }

        @Override
        protected int awaitReadable(int millis) {
            throw new IllegalStateException("read from the epoll loop, no waker");
        }

        @Override
        protected int descriptor() {
            return fd;
        }

        @Override
        protected int readBatch(ChannelPipeline p, int max) {
            reads++;
            return result;
        }

        @Override
        protected void closeSource() {
        }
    }

    static final class Pipe {
        static {
            Native.register(Pipe.class, "c");
        }

        private Pipe() {
        }

        static native int pipe(int[] fds) throws LastErrorException;

        static native long write(int fd, com.sun.jna.Pointer buf, long count) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }
}
