package net.poolsa.ike.transport;

/**
 * The exchange layer's entry point. Called on the transport's event loop, one datagram at a time; the
 * datagram is released when the call returns, so a receiver that keeps it calls {@code retain()} (the
 * convention of Netty's {@code SimpleChannelInboundHandler}). An exception is a bug of the receiver: it
 * is counted as {@link TransportDropReason#RECEIVER_FAILED} and logged, and the transport carries on.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (what the content starts with)</a>
 */
@FunctionalInterface
public interface IkeReceiver {
    void received(InboundIkeDatagram datagram);
}
