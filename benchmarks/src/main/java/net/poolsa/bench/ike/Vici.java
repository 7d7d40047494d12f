package net.poolsa.bench.ike;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal client of strongSwan's VICI protocol (the versioned interface swanctl talks to charon over, documented
 * in strongSwan's src/libcharon/plugins/vici/README.md): a 32-bit big-endian length, then a packet whose first byte
 * is its type, named types followed by a one-byte name length and the name, commands and events by a message of
 * sections, key/values and lists. One connection carries either commands ({@link #call}) or events ({@link #register}
 * then {@link #nextEvent}), never both, so a reply is never interleaved with events.
 */
final class Vici implements Closeable {
    private static final int CMD_REQUEST = 0;
    private static final int CMD_RESPONSE = 1;
    private static final int CMD_UNKNOWN = 2;
    private static final int EVENT_REGISTER = 3;
    private static final int EVENT_CONFIRM = 5;
    private static final int EVENT_UNKNOWN = 6;
    private static final int EVENT = 7;
    private static final int SECTION_START = 1;
    private static final int SECTION_END = 2;
    private static final int KEY_VALUE = 3;
    private static final int LIST_START = 4;
    private static final int LIST_ITEM = 5;
    private static final int LIST_END = 6;

    /** An event: its name and its message (String values, nested Maps for sections, Lists of Strings for lists). */
    record Event(String name, Map<String, Object> message) {
    }

    private final SocketChannel channel;

    private Vici(SocketChannel channel) {
        this.channel = channel;
    }

    static Vici connect(Path socket) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return new Vici(c);
    }

    /** Sends command {@code name} with the flat key/values {@code args}; returns the response message. */
    Map<String, Object> call(String name, Map<String, String> args) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(CMD_REQUEST);
        name(p, name);
        for (Map.Entry<String, String> e : args.entrySet()) {
            p.write(KEY_VALUE);
            name(p, e.getKey());
            value(p, e.getValue());
        }
        send(p.toByteArray());
        ByteBuffer r = receive();
        int type = r.get() & 0xff;
        if (type == CMD_UNKNOWN) {
            throw new IOException("charon does not know the VICI command " + name);
        }
        if (type != CMD_RESPONSE) {
            throw new IOException("VICI " + name + ": packet type " + type + " instead of a response");
        }
        return message(r);
    }

    /** Subscribes this connection to event {@code name}. */
    void register(String name) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(EVENT_REGISTER);
        name(p, name);
        send(p.toByteArray());
        int type = receive().get() & 0xff;
        if (type == EVENT_UNKNOWN) {
            throw new IOException("charon does not know the VICI event " + name);
        }
        if (type != EVENT_CONFIRM) {
            throw new IOException("VICI register " + name + ": packet type " + type);
        }
    }

    /** Blocks for the next event of a registered connection. */
    Event nextEvent() throws IOException {
        ByteBuffer r = receive();
        int type = r.get() & 0xff;
        if (type != EVENT) {
            throw new IOException("VICI: packet type " + type + " on an event connection");
        }
        String name = name(r);
        return new Event(name, message(r));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void send(byte[] packet) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + packet.length);
        b.putInt(packet.length).put(packet).flip();
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private ByteBuffer receive() throws IOException {
        ByteBuffer len = ByteBuffer.allocate(4);
        fill(len);
        int n = len.flip().getInt();
        if (n < 1 || n > 1 << 24) {
            throw new IOException("VICI packet length " + n);
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        fill(b);
        return b.flip();
    }

    private void fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new IOException("charon closed the VICI connection");
            }
        }
    }

    private static void name(ByteArrayOutputStream p, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        p.write(b.length);
        p.writeBytes(b);
    }

    private static void value(ByteArrayOutputStream p, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        p.write(b.length >> 8);
        p.write(b.length & 0xff);
        p.writeBytes(b);
    }

    private static String name(ByteBuffer b) {
        byte[] n = new byte[b.get() & 0xff];
        b.get(n);
        return new String(n, StandardCharsets.US_ASCII);
    }

    private static String value(ByteBuffer b) {
        byte[] v = new byte[b.getShort() & 0xffff];
        b.get(v);
        return new String(v, StandardCharsets.UTF_8);
    }

    /** Parses a message (the rest of {@code b}) into nested maps. */
    static Map<String, Object> message(ByteBuffer b) throws IOException {
        List<Map<String, Object>> stack = new ArrayList<>();
        Map<String, Object> top = new LinkedHashMap<>();
        Map<String, Object> current = top;
        List<String> list = null;
        while (b.hasRemaining()) {
            int t = b.get() & 0xff;
            switch (t) {
                case SECTION_START -> {
                    Map<String, Object> s = new LinkedHashMap<>();
                    current.put(name(b), s);
                    stack.add(current);
                    current = s;
                }
                case SECTION_END -> {
                    if (stack.isEmpty()) {
                        throw new IOException("VICI: section end without a section");
                    }
                    current = stack.remove(stack.size() - 1);
                }
                case KEY_VALUE -> {
                    String k = name(b);
                    current.put(k, value(b));
                }
                case LIST_START -> {
                    list = new ArrayList<>();
                    current.put(name(b), list);
                }
                case LIST_ITEM -> {
                    if (list == null) {
                        throw new IOException("VICI: list item outside a list");
                    }
                    list.add(value(b));
                }
                case LIST_END -> list = null;
                default -> throw new IOException("VICI: element type " + t);
            }
        }
        return top;
    }
}
