package net.poolsa.appliance.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.esp.divert.HostCommands;

/**
 * The SCTP harness: {@code experiment/sctp/sctp_flow.c} (a real SCTP stack, usrsctp, at both ends), shipped in the jar
 * as source and compiled with gcc on the machine that runs the experiment, since libusrsctp is a Debian library and
 * not ours to ship. The source is compiled again only when it changed.
 */
final class SctpHarness {
    static final String RESOURCE = "/net/poolsa/appliance/demo/sctp/sctp_flow.c";
    static final int PORT = 5001;

    private final Path binary;

    private SctpHarness(Path binary) {
        this.binary = binary;
    }

    Path binary() {
        return binary;
    }

    /**
     * Writes the source to {@code dir/sctp_flow.c} and compiles it to {@code dir/sctp_flow} unless a binary of this
     * very source is there. Throws with gcc's output when the build fails.
     */
    static SctpHarness build(Path dir) throws IOException {
        Files.createDirectories(dir);
        byte[] source;
        try (InputStream in = SctpHarness.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the harness source " + RESOURCE + " is not in this build");
            }
            source = in.readAllBytes();
        }
        Path c = dir.resolve("sctp_flow.c");
        Path bin = dir.resolve("sctp_flow");
        boolean same = Files.exists(c) && Arrays.equals(Files.readAllBytes(c), source) && Files.isExecutable(bin);
        if (!same) {
            Files.write(c, source);
            Files.deleteIfExists(bin);
            HostCommands.Result r = HostCommands.local().run(List.of("gcc", "-O2", "-Wall", "-o", bin.toString(), c.toString(),
                    "-lusrsctp", "-lpthread"));
            if (!r.ok()) {
                throw new IOException("gcc could not build the SCTP harness (needs packages gcc and libusrsctp-dev):\n"
                        + r.output());
            }
        }
        return new SctpHarness(bin);
    }

    /** The server: one association, then it exits; {@code seconds} is its deadline. */
    List<String> server(Timers timers, double seconds) {
        List<String> c = new ArrayList<>(List.of(binary.toString(), "server", "-p", Integer.toString(PORT),
                "-t", String.format(java.util.Locale.ROOT, "%.1f", seconds)));
        c.addAll(timers.arguments());
        return c;
    }

    /** The client: {@code files} files of {@code fileBytes} each, paced at {@code rate} bytes/s in messages of {@code message}. */
    List<String> client(Timers timers, String server, List<String> bind, boolean upload, long files, long fileBytes,
                        long rate, int message, double seconds) {
        List<String> c = new ArrayList<>(List.of(binary.toString(), "client", "-p", Integer.toString(PORT), "-c", server));
        for (String b : bind) {
            c.addAll(List.of("-b", b));
        }
        c.addAll(List.of("-d", upload ? "upload" : "download", "-n", Long.toString(files), "-s", Long.toString(fileBytes),
                "-r", Long.toString(rate), "-m", Integer.toString(message),
                "-t", String.format(java.util.Locale.ROOT, "%.1f", seconds)));
        c.addAll(timers.arguments());
        return c;
    }

    /**
     * SCTP's failover timers, set at both ends (RFC 9260 §15 names; ../shared/lab/NOTES.md: with the defaults a
     * failover takes about 30 s, and with the client's timers tuned only, the association is lost).
     *
     * @param pfThreshold RFC 7829's potentially-failed threshold: 0 moves new data to another path at the first timeout
     */
    record Timers(int rtoMinMs, int rtoMaxMs, int rtoInitialMs, int pathMaxRetrans, int heartbeatMs, int pfThreshold,
                  int assocMaxRetrans, int mtu) {
        static Timers defaults() {
            return new Timers(100, 400, 100, 2, 500, 0, 30, 1280);
        }

        List<String> arguments() {
            return List.of("--rto-min", Integer.toString(rtoMinMs), "--rto-max", Integer.toString(rtoMaxMs),
                    "--rto-initial", Integer.toString(rtoInitialMs), "--path-max-rxt", Integer.toString(pathMaxRetrans),
                    "--hb-interval", Integer.toString(heartbeatMs), "--pf-threshold", Integer.toString(pfThreshold),
                    "--assoc-max-rxt", Integer.toString(assocMaxRetrans), "--mtu", Integer.toString(mtu));
        }

        String describe() {
            return "RTO " + rtoMinMs + "-" + rtoMaxMs + " ms (initial " + rtoInitialMs + "), path max retransmissions "
                    + pathMaxRetrans + ", heartbeat " + heartbeatMs + " ms, PF threshold " + pfThreshold
                    + ", path MTU " + mtu;
        }
    }
}
