package net.poolsa.ike;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The log lines (slf4j-simple writes to System.err) written while it is open. */
public final class LogCapture implements AutoCloseable {
    private final PrintStream saved = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    public LogCapture() {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    public List<String> lines() {
        return new String(captured.toByteArray(), StandardCharsets.UTF_8).lines().toList();
    }

    /** The lines holding {@code text}. */
    public List<String> with(String text) {
        return lines().stream().filter(l -> l.contains(text)).toList();
    }

    @Override
    public void close() {
        System.setErr(saved);
        saved.print(new String(captured.toByteArray(), StandardCharsets.UTF_8));
    }
}
