package net.poolsa.esp.emit;

import io.netty.buffer.ByteBuf;

/**
 * Where a data-plane channel's writes go: complete IP packets, queued by {@link #send} (which takes
 * ownership of the buffer) and pushed out by {@link #flush} at the end of a read batch. Used from the event
 * loop only.
 */
public interface PacketSink {
    void send(ByteBuf packet);

    void flush();
}
