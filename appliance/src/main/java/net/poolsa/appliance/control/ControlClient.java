package net.poolsa.appliance.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The CLI's side of the control socket: one request, one reply, with a deadline. */
public final class ControlClient {
    /** Longest reply read (a status report of many connections), so a broken server cannot exhaust memory. */
    public static final int MAX_REPLY_BYTES = 16 << 20;

    private ControlClient() {
    }

    /** Nobody could be reached on the socket (absent, stale, or not allowed); the appliance may not be running. */
    public static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The request went out and the instance holds it, but its answer did not come within the caller's timeout. */
    public static final class NoAnswerException extends IOException {
        NoAnswerException(String message) {
            super(message);
        }
    }

    /**
     * Sends {@code request} and returns the reply object.
     *
     * @throws UnreachableException when the socket cannot be connected to
     * @throws NoAnswerException    when the reply does not come within {@code timeout}
     * @throws IOException          when the reply is too long or is not a JSON object
     */
    public static Map<String, Object> call(Path socket, ControlProtocol.Request request, Duration timeout) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new UnreachableException("cannot connect to the control socket " + socket + " ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
            }
            ByteBuffer out = ByteBuffer.wrap((request.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            String line = readLine(ch, timeout);
            Object tree;
            try {
                tree = Json.parse(line);
            } catch (Json.JsonException e) {
                throw new IOException("the control socket answered something that is not JSON: " + e.getMessage());
            }
            if (!(tree instanceof Map<?, ?> m) || !(m.get("ok") instanceof Boolean) || !(m.get("message") instanceof String)) {
                throw new IOException("the control socket's answer lacks \"ok\" or \"message\"");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> reply = (Map<String, Object>) m;
            return reply;
        }
    }

    private static String readLine(SocketChannel ch, Duration timeout) throws IOException {
        ch.configureBlocking(false);
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(65536);
        try (Selector sel = Selector.open()) {
            ch.register(sel, SelectionKey.OP_READ);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new NoAnswerException("no answer on the control socket within " + timeout.toSeconds() + " s");
                }
                sel.select(Math.max(1, left / 1_000_000));
                sel.selectedKeys().clear();
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    throw new IOException("the control socket closed the connection without a complete answer");
                }
                for (int k = 0; k < n; k++) {
                    if (buf.get(k) == '\n') {
                        line.write(buf.array(), 0, k);
                        return line.toString(StandardCharsets.UTF_8);
                    }
                }
                line.write(buf.array(), 0, n);
                if (line.size() > MAX_REPLY_BYTES) {
                    throw new IOException("the control socket's answer exceeds " + MAX_REPLY_BYTES + " bytes");
                }
            }
        }
    }
}
