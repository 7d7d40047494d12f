package net.poolsa.esp.emit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

import net.poolsa.esp.netns.Netns;

/**
 * tcpdump on the receiving side of a link (needs root and tcpdump), packet-buffered (-U) so that the file can be
 * read while it runs: {@link #await} waits for the frames instead of sleeping a fixed time, which on a loaded machine
 * would cut the capture short. Small snapshot length and a large buffer: in immediate mode libpcap's ring has one frame
 * per snapshot length, and the default (256 KB) leaves room for a handful of packets, too few for a burst.
 */
final class PeerCapture implements AutoCloseable {
    private final Path file;
    private final Process tcpdump;

    PeerCapture(Netns ns, String dev, String filter, Path dir) throws Exception {
        this.file = dir.resolve(ns.name() + "-" + dev + "-" + System.nanoTime() + ".pcap");
        Path log = dir.resolve(file.getFileName() + ".log");
        this.tcpdump = ns.spawn(List.of("tcpdump", "--immediate-mode", "-U", "-n", "-s", "2048", "-B", "16384", "-i", dev,
                "-w", file.toString(), filter), log);
        for (int i = 0; i < 200 && !Files.readString(log).contains("listening"); i++) {
            Thread.sleep(50);
        }
        if (!Files.readString(log).contains("listening")) {
            close();
            throw new IllegalStateException("tcpdump on " + dev + " did not start: " + Files.readString(log));
        }
    }

    /** The frames captured so far. */
    List<byte[]> frames() throws IOException {
        return Files.exists(file) ? Frames.read(file) : List.of();
    }

    /** Waits (up to 20 s) until {@code count} frames matching {@code which} were captured; returns all frames. */
    List<byte[]> await(int count, Predicate<byte[]> which) throws Exception {
        List<byte[]> f = frames();
        for (int i = 0; i < 400 && f.stream().filter(which).count() < count; i++) {
            Thread.sleep(50);
            f = frames();
        }
        return f;
    }

    @Override
    public void close() {
        Netns.stop(tcpdump, 3000);
    }
}
