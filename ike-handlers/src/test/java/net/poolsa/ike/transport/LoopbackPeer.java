package net.poolsa.ike.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;

/** A plain JDK UDP socket on loopback playing the peer (and the ESP flood) in the socket tests. */
final class LoopbackPeer implements AutoCloseable {
    private final DatagramChannel channel;
    private InetSocketAddress lastSender;

    LoopbackPeer(InetAddress loopback) throws IOException {
        channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress(loopback, 0));
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    void send(byte[] payload, InetSocketAddress to) throws IOException {
        int n = channel.send(ByteBuffer.wrap(payload), to);
        if (n != payload.length) {
            throw new IOException("sent " + n + " of " + payload.length + " bytes");
        }
    }

    /** The next datagram's payload (blocking; the test's timeout guards it). */
    byte[] receive() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(65536);
        lastSender = (InetSocketAddress) channel.receive(b);
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Where the datagram {@link #receive()} returned last came from. */
    InetSocketAddress lastSender() {
        return lastSender;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
