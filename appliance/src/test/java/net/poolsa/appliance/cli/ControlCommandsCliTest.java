package net.poolsa.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;
import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.control.Json;
import net.poolsa.appliance.lifecycle.Appliance;
import net.poolsa.appliance.lifecycle.RecordingDataPathProvider;

/**
 * {@code poolsa status/initiate/terminate} in-process against a running {@link Appliance} (recording data
 * path, control socket in a temporary directory).
 */
@Timeout(120)
class ControlCommandsCliTest {
    @TempDir
    Path dir;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cl = PoolsaCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private static String http(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String withoutAges(String report) {
        return report.replaceAll("\\d+s ago", "_").replaceAll("expires in \\d+s", "_").replaceAll("\"age_seconds\":\\d+", "_");
    }

    @Test
    void commandsThroughTheControlSocketOfARunningAppliance() throws Exception {
        Path socket = dir.resolve("run/poolsa.ctl");
        String s = socket.toString();
        RecordingDataPathProvider dp = new RecordingDataPathProvider();
        Appliance a = Appliance.start(ConfigLoader.load(ConfigFixture.writeTwoManual(dir)), dp, "test", socket);
        try {
            String base = "http://127.0.0.1:" + a.server().address().getPort();
            // The configuration named with -c does not exist: the report can only have come from the socket.
            String absent = dir.resolve("absent.yaml").toString();
            assertEquals(ExitCodes.OK, run("status", "--control-socket", s, "-c", absent), err.toString());
            assertTrue(out.toString().contains("site-b: INSTALLED, manual keys"), out.toString());
            assertEquals(withoutAges(http(base + "/status")), withoutAges(out.toString()), "the same report as over HTTP");
            assertEquals(ExitCodes.OK, run("status", "--json", "--control-socket", s, "-c", absent), err.toString());
            assertEquals(withoutAges(http(base + "/status.json")), withoutAges(out.toString()));
            assertEquals(2, ((List<?>) ((Map<?, ?>) Json.parse(out.toString())).get("connections")).size());

            assertEquals(ExitCodes.OK, run("initiate", "site-b", "--control-socket", s), err.toString());
            assertEquals("connection site-b is keyed manually: nothing to negotiate; its SAs are installed (reqid 4096, "
                    + "SPI in 0x00001001, out 0x00002001)\n", out.toString());
            assertEquals(ExitCodes.REFUSED, run("terminate", "site-b", "--control-socket", s));
            assertTrue(err.toString().startsWith("poolsa: connection site-b is keyed manually: its SAs live as long as its "
                    + "configuration;"), err.toString());
            assertTrue(err.toString().endsWith("(manually_keyed)\n"), err.toString());
            assertEquals(ExitCodes.REFUSED, run("initiate", "site-x", "--control-socket", s));
            assertEquals("poolsa: no connection named \"site-x\"; configured: site-b, site-c (unknown_connection)\n", err.toString());
            assertEquals(4, a.kernel().listSas().size(), "nothing was taken down");

            // A second instance on the same socket is refused before it does anything.
            RecordingDataPathProvider dp2 = new RecordingDataPathProvider();
            Appliance.StartupException e = assertThrows(Appliance.StartupException.class,
                    () -> Appliance.start(ConfigLoader.load(dir.resolve("poolsa.yaml")), dp2, "test", socket));
            assertTrue(e.getMessage().startsWith("control socket: another poolsa instance (pid " + ProcessHandle.current().pid()
                    + ") holds " + socket + ".lock"), e.getMessage());
            assertNull(dp2.context, "its data path never started");
            assertEquals(ExitCodes.OK, run("initiate", "site-b", "--control-socket", s), "the first still answers");
        } finally {
            a.close();
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket removed at shutdown");
        assertEquals(ExitCodes.NOT_RUNNING, run("initiate", "site-b", "--control-socket", s));
        assertTrue(err.toString().startsWith("poolsa: no running instance: cannot connect to the control socket " + s),
                err.toString());
    }

    @Test
    void statusFallsBackToHttpWithoutASocket() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path cfg = ConfigFixture.writeTwoManual(dir);
        ConfigFixture.writeYaml(dir, ConfigFixture.TWO_MANUAL.replace("127.0.0.1:0", "127.0.0.1:" + port));
        Appliance a = Appliance.start(ConfigLoader.load(cfg), new RecordingDataPathProvider(), "test", null);
        try {
            String absent = dir.resolve("absent.ctl").toString();
            assertEquals(ExitCodes.OK, run("status", "--control-socket", absent, "-c", cfg.toString()), err.toString());
            assertTrue(out.toString().contains("site-c: INSTALLED, manual keys"), out.toString());
            // Initiate and terminate have no fallback: the HTTP endpoint never takes commands.
            assertEquals(ExitCodes.NOT_RUNNING, run("initiate", "site-b", "--control-socket", absent));
        } finally {
            a.close();
        }
        assertEquals(ExitCodes.NOT_RUNNING, run("status", "--control-socket", dir.resolve("absent.ctl").toString(),
                "-c", cfg.toString()));
        assertTrue(err.toString().contains("no running instance at http://127.0.0.1:" + port + "/status"), err.toString());
        assertTrue(err.toString().contains("cannot connect to the control socket " + dir.resolve("absent.ctl")), err.toString());
    }

    /**
     * An instance that holds the request longer than --timeout (a Main Mode retransmitting after the peer refused it in
     * the clear) is working, not broken: exit 10 naming the command, not exit 1 ("internal error") with a message that
     * reads as if nothing were running. Old code: exit 1, "no answer on the control socket within 0 s".
     */
    @Test
    void anAnswerLaterThanTheTimeoutIsPendingNotAnInternalError() throws Exception {
        Path socket = dir.resolve("slow.ctl");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread holder = new Thread(() -> {
                try (SocketChannel held = server.accept()) {
                    held.read(java.nio.ByteBuffer.allocate(4096)); // takes the request, never answers
                    Thread.sleep(5000);
                } catch (Exception e) {
                    // the test ended first
                }
            });
            holder.setDaemon(true);
            holder.start();
            assertEquals(ExitCodes.PENDING, run("initiate", "branch", "--control-socket", socket.toString(), "--timeout",
                    "300ms"), err.toString());
            assertTrue(err.toString().startsWith("poolsa: initiate branch: no result within 300 ms; the running instance goes "
                    + "on with it"), err.toString());
            holder.interrupt();
        }
    }
}
