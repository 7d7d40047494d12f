package net.poolsa.ike.transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The IKE sockets: UDP/500 and UDP/4500 on each local address, as Netty epoll datagram channels that all
 * live on one event loop, the loop the IKE state is confined to ({@link #eventLoop()}). Inbound datagrams
 * go through {@link IkeDatagramDecoder} to the {@link IkeReceiver}; {@link #send} goes out through
 * {@link IkeDatagramEncoder} on the socket bound to the datagram's local address. The NAT-T sockets carry
 * {@link NonEspMarkerFilter}, so ESP-in-UDP for the data plane costs the IKE loop nothing, and send NAT-keepalives
 * ({@link #sendNatKeepalive}, {@link NatKeepaliveEncoder}: no marker).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.2">RFC 2408 §2.5.2 (UDP port 500)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-4">RFC 3947 §4 (port 4500)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2 (non-ESP marker)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3 (NAT-keepalive)</a>
 */
public final class IkeTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IkeTransport.class);

    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop loop;
    private final DropLog drops;
    /** Bound address to socket; set once by start, read-only, safely published to the threads that send. */
    private volatile Map<InetSocketAddress, Socket> sockets = Map.of();

    private record Socket(Channel channel, PortRole role, SendBacklog backlog) {
    }

    private IkeTransport(TransportEvents events) {
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("poolsa-ike", true),
                EpollIoHandler.newFactory());
        this.loop = group.next();
        this.drops = new DropLog(events);
    }

    /**
     * Opens and binds every socket.
     *
     * @throws IOException when a socket cannot be opened, filtered or bound (address not on this host, port
     *                     in use, port 500 without CAP_NET_BIND_SERVICE); nothing stays open then
     */
    public static IkeTransport start(IkeTransportConfig config, IkeReceiver receiver, TransportEvents events) throws IOException {
        IkeTransport t = new IkeTransport(events);
        Map<InetSocketAddress, Socket> opened = new LinkedHashMap<>();
        try {
            for (InetAddress address : config.localAddresses()) {
                for (PortRole role : PortRole.values()) {
                    Socket s = t.open(config, address, role, receiver);
                    opened.put((InetSocketAddress) s.channel().localAddress(), s);
                }
            }
        } catch (IOException | RuntimeException e) {
            t.sockets = opened;
            t.close();
            throw e;
        }
        t.sockets = Collections.unmodifiableMap(opened);
        LOG.info("event=ike_transport_started sockets={} kernel_filter={}", t.sockets.keySet(), config.kernelFilter());
        return t;
    }

    private Socket open(IkeTransportConfig config, InetAddress address, PortRole role, IkeReceiver receiver) throws IOException {
        int cap = config.maxDatagramBytes();
        SocketProtocolFamily family = address instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        Bootstrap b = new Bootstrap().group(loop)
                .channelFactory(() -> new EpollDatagramChannel(family))
                // One byte more than the cap, so that a longer datagram is seen as oversized instead of cut.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(cap + 1))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new IkeDatagramDecoder(role, cap, drops), new IkeDatagramEncoder(role, cap));
                        if (role == PortRole.NAT_T) {
                            ch.pipeline().addLast(new NatKeepaliveEncoder());
                        }
                        ch.pipeline().addLast(new ReceiverHandler(role, receiver, drops));
                    }
                });
        InetSocketAddress wanted = new InetSocketAddress(address, config.port(role));
        ChannelFuture registered = b.register().syncUninterruptibly();
        EpollDatagramChannel ch = (EpollDatagramChannel) registered.channel();
        try {
            if (role == PortRole.NAT_T && config.kernelFilter()) {
                NonEspMarkerFilter.attach(ch.fd().intValue());
            }
            SendBuffer.enlarge(ch.fd().intValue());
            if (config.socketMark() != 0) {
                SocketMark.set(ch.fd().intValue(), config.socketMark(), wanted);
            }
            ChannelFuture bound = ch.bind(wanted).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                Throwable c = bound.cause();
                throw new IOException("cannot bind the IKE socket " + wanted + ": " + c.getMessage(), c);
            }
        } catch (IOException | RuntimeException e) {
            ch.close().awaitUninterruptibly();
            throw e;
        }
        return new Socket(ch, role, new SendBacklog());
    }

    /** The event loop every IKE socket runs on; IKE state confined to it needs no lock. */
    public EventLoop eventLoop() {
        return loop;
    }

    /** The bound socket addresses, in configuration order (address, then IKE before NAT-T). */
    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(sockets.keySet());
    }

    /** The socket addresses bound for {@code role}, in the order they were opened. */
    public List<InetSocketAddress> boundAddresses(PortRole role) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Map.Entry<InetSocketAddress, Socket> e : sockets.entrySet()) {
            if (e.getValue().role() == role) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** The socket address bound for {@code address} in {@code role} (the real port when the configuration said 0). */
    public InetSocketAddress boundAddress(InetAddress address, PortRole role) {
        for (Map.Entry<InetSocketAddress, Socket> e : sockets.entrySet()) {
            if (e.getValue().role() == role && e.getKey().getAddress().equals(address)) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("no " + role.label() + " socket on " + address.getHostAddress());
    }

    /**
     * Sends from the socket bound to {@code datagram.local()}; callable from any thread. A failure (the
     * kernel refused the datagram, the message is outside the size bounds) fails the future and is counted
     * as {@link TransportDropReason#SEND_FAILED}; while {@link SendBacklog#MAX_BYTES} wait for room in the socket's
     * send buffer the datagram is dropped and counted as {@link TransportDropReason#SEND_QUEUE_FULL}.
     *
     * @throws IllegalArgumentException when no socket is bound to {@code datagram.local()} (the datagram is
     *                                  released)
     */
    public ChannelFuture send(OutboundIkeDatagram datagram) {
        return send(datagram, SendBacklog.Kind.NORMAL);
    }

    /**
     * {@link #send} for an answer to a source that has not proved its address (Main Mode message 2, a notification
     * in the clear): dropped, and counted as {@link TransportDropReason#SEND_BACKLOGGED}, when anything waits for
     * room in the socket's send buffer, so that answers to a flood never delay the messages of genuine peers.
     */
    public ChannelFuture sendExpendable(OutboundIkeDatagram datagram) {
        return send(datagram, SendBacklog.Kind.EXPENDABLE);
    }

    private ChannelFuture send(OutboundIkeDatagram datagram, SendBacklog.Kind kind) {
        Socket s = sockets.get(datagram.local());
        if (s == null) {
            datagram.release();
            throw new IllegalArgumentException("no IKE socket bound to " + Endpoints.text(datagram.local())
                    + "; bound: " + sockets.keySet());
        }
        InetSocketAddress remote = datagram.remote();
        int size = datagram.content().readableBytes();
        if (!s.backlog().admit(kind, size)) {
            datagram.release();
            TransportDropReason reason = kind == SendBacklog.Kind.EXPENDABLE ? TransportDropReason.SEND_BACKLOGGED
                    : TransportDropReason.SEND_QUEUE_FULL;
            drops.drop(s.role(), reason, remote, size);
            return s.channel().newFailedFuture(new IOException(reason.label() + ": " + s.backlog().bytes()
                    + " bytes wait for the socket " + Endpoints.text(datagram.local())));
        }
        return s.channel().writeAndFlush(datagram).addListener((ChannelFutureListener) f -> {
            s.backlog().done(size);
            if (f.isSuccess()) {
                drops.events().sent(s.role());
            } else {
                drops.failure(s.role(), TransportDropReason.SEND_FAILED, remote, f.cause());
            }
        });
    }

    /**
     * Sends a NAT-keepalive (RFC 3948 §2.3: the one octet 0xFF, no non-ESP marker) from the NAT-T socket bound to
     * {@code keepalive.local()}; callable from any thread. It waits for room in the socket's send buffer like any IKE
     * message; a failure is counted as {@link TransportDropReason#SEND_FAILED} or
     * {@link TransportDropReason#SEND_QUEUE_FULL}, a success as {@link TransportEvents#keepaliveSent()}.
     *
     * @throws IllegalArgumentException when no NAT-T socket is bound to {@code keepalive.local()}
     */
    public ChannelFuture sendNatKeepalive(OutboundNatKeepalive keepalive) {
        Socket s = sockets.get(keepalive.local());
        if (s == null || s.role() != PortRole.NAT_T) {
            throw new IllegalArgumentException("no NAT-T socket bound to " + Endpoints.text(keepalive.local())
                    + "; bound: "
                    + sockets.keySet());
        }
        InetSocketAddress remote = keepalive.remote();
        if (!s.backlog().admit(SendBacklog.Kind.NORMAL, 1)) {
            drops.drop(s.role(), TransportDropReason.SEND_QUEUE_FULL, remote, 1);
            return s.channel().newFailedFuture(new IOException(TransportDropReason.SEND_QUEUE_FULL.label() + ": "
                    + s.backlog().bytes() + " bytes wait for the socket " + Endpoints.text(keepalive.local())));
        }
        return s.channel().writeAndFlush(keepalive).addListener((ChannelFutureListener) f -> {
            s.backlog().done(1);
            if (f.isSuccess()) {
                drops.events().keepaliveSent();
            } else {
                drops.failure(s.role(), TransportDropReason.SEND_FAILED, remote, f.cause());
            }
        });
    }

    /** The kernel send buffer of the socket bound to {@code bound}, in bytes (SO_SNDBUF). */
    int sendBuffer(InetSocketAddress bound) throws IOException {
        Socket s = sockets.get(bound);
        if (s == null) {
            throw new IllegalArgumentException("no IKE socket bound to " + bound);
        }
        return SendBuffer.get(((EpollDatagramChannel) s.channel()).fd().intValue());
    }

    /** The mark the kernel gives what the socket bound to {@code bound} sends (SO_MARK), 0 for none. */
    int socketMark(InetSocketAddress bound) throws IOException {
        Socket s = sockets.get(bound);
        if (s == null) {
            throw new IllegalArgumentException("no IKE socket bound to " + bound);
        }
        return SocketMark.get(((EpollDatagramChannel) s.channel()).fd().intValue());
    }

    /** Closes every socket and stops the event loop; idempotent. */
    @Override
    public void close() {
        List<ChannelFuture> closing = new ArrayList<>();
        for (Socket s : sockets.values()) {
            closing.add(s.channel().close());
        }
        closing.forEach(ChannelFuture::awaitUninterruptibly);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
