package net.poolsa.esp.capture;

import com.sun.jna.Memory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import net.poolsa.esp.emit.PacketSink;
import net.poolsa.esp.emit.TunDevice;

/**
 * A {@link PolledChannel} whose reads are the IP packets the host routes into a {@link TunDevice} (one
 * {@code read(2)} each, no capture ring, no block timeout); writes go to the given sink (the raw-socket
 * emitter: ESP towards the peer, ICMP errors and bypassed packets back into the host). The device itself
 * is owned and closed by whoever created it.
 */
public final class TunChannel extends PolledChannel {
    private static final short POLLIN = 1;
    private final TunDevice tun;
    private final Memory pollFd = new Memory(8);
    private ByteBufAllocator alloc;
    private volatile long packets;

    public TunChannel(TunDevice tun, PacketSink writes) {
        super(tun.name(), writes);
        this.tun = tun;
        pollFd.setInt(0, tun.fd());
        pollFd.setShort(4, POLLIN);
    }

    /** Packets read so far. */
    public long packets() {
        return packets;
    }

    @Override
    protected void startSource() {
        alloc = config().getAllocator();
    }

    @Override
    protected int descriptor() {
        return tun.fd();
    }

    @Override
    protected int awaitReadable(int millis) {
        int r = FastPcap.LibPoll.poll(pollFd, 1, millis);
        if (r > 0 && (pollFd.getShort(6) & POLLIN) == 0) {
            return -1; // POLLERR, POLLHUP or POLLNVAL without data: the device is gone
        }
        return Math.max(r, 0);
    }

    @Override
    protected int readBatch(ChannelPipeline p, int max) {
        int n = 0;
        ByteBuf b;
        while (n < max && (b = tun.read(alloc)) != null) {
            n++;
            p.fireChannelRead(b);
        }
        packets += n;
        return n;
    }

    @Override
    protected void closeSource() {
        pollFd.close();
    }
}
