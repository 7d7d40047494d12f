package net.poolsa.appliance.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket in a temporary directory: round trip, mode and group, stale socket, a second instance,
 * bad requests. Runs as root in CI (the group change needs it or membership in group poolsa).
 */
@Timeout(30)
class ControlServerTest {
    @TempDir
    Path dir;

    /** Answers status with a fixed report and echoes initiate/terminate; records what it was asked. */
    static final class EchoCommands implements ControlCommands {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile CompletableFuture<ControlReply> held;

        @Override
        public CompletionStage<ControlReply> status() {
            calls.add("status");
            return CompletableFuture.completedFuture(ControlReply.status("site-b: INSTALLED\n", "{\"connections\":[{\"n\":1}]}"));
        }

        @Override
        public CompletionStage<ControlReply> initiate(String connection) {
            calls.add("initiate " + connection);
            if (connection.equals("hold")) {
                held = new CompletableFuture<>();
                return held;
            }
            if (connection.equals("boom")) {
                throw new IllegalStateException("bug in the command");
            }
            return CompletableFuture.completedFuture(ControlReply.ok("initiated " + connection));
        }

        @Override
        public CompletionStage<ControlReply> terminate(String connection) {
            calls.add("terminate " + connection);
            return CompletableFuture.completedFuture(ControlReply.error(ControlProtocol.MANUALLY_KEYED, "no " + connection));
        }
    }

    private static Map<?, ?> reply(String line) throws Exception {
        return (Map<?, ?>) Json.parse(line);
    }

    @Tag("root")
    @Test
    void roundTripModeGroupAndRemovalAtClose() throws Exception {
        Path socket = dir.resolve("run/poolsa.ctl");
        EchoCommands commands = new EchoCommands();
        try (ControlServer s = ControlServer.start(socket, commands)) {
            PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertTrue(a.isOther(), "a socket");
            assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
            String expectedGroup = groupExists(ControlServer.GROUP) ? ControlServer.GROUP
                    : Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
            assertEquals(expectedGroup, a.group().getName());
            assertEquals(System.getProperty("user.name"), a.owner().getName());
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())),
                    "the directory poolsa created");
            assertEquals(expectedGroup, Files.readAttributes(socket.getParent(), PosixFileAttributes.class).group().getName());
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(dir.resolve("run/poolsa.ctl.lock")));

            try (RawControlConnection c = new RawControlConnection(socket)) {
                Map<?, ?> st = reply(c.send("{\"command\":\"status\"}\n").readLine());
                assertEquals(Boolean.TRUE, st.get("ok"));
                assertEquals("site-b: INSTALLED\n", st.get("text"));
                assertEquals("{\"connections\":[{\"n\":1}]}", Json.write(st.get("status")));
                // Several requests on one connection, answered in order.
                c.send("{\"command\":\"initiate\",\"connection\":\"a\"}\n{\"command\":\"terminate\",\"connection\":\"b\"}\n");
                assertEquals("{\"ok\":true,\"message\":\"initiated a\"}", c.readLine());
                assertEquals("{\"ok\":false,\"error\":\"manually_keyed\",\"message\":\"no b\"}", c.readLine());
            }
            assertEquals(List.of("status", "initiate a", "terminate b"), commands.calls);
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket removed at close");
        // The lock is free again: a new instance starts on the same path.
        try (ControlServer again = ControlServer.start(socket, new EchoCommands())) {
            assertTrue(Files.exists(again.path(), LinkOption.NOFOLLOW_LINKS));
        }
    }

    private static boolean groupExists(String name) {
        try {
            java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * OpenBSD netcat (apt netcat-openbsd, in scripts/install-deps.sh) as a client nobody here wrote: it sends
     * the requests, shuts down its sending side ({@code -N}) and still gets every answer, then the server closes.
     */
    @Tag("root")
    @Test
    void netcatSendsAndHalfClosesAndReadsEveryAnswer() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        try (ControlServer s = ControlServer.start(socket, new EchoCommands())) {
            Process nc = new ProcessBuilder("nc", "-U", "-N", socket.toString()).redirectErrorStream(true).start();
            try {
                nc.getOutputStream().write("{\"command\":\"status\"}\n{\"command\":\"initiate\",\"connection\":\"a\"}\n"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                nc.getOutputStream().close();
                String[] lines = new String(nc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
                assertTrue(nc.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "nc ends: the server closed after answering");
                assertEquals(2, lines.length, String.join("|", lines));
                assertEquals("site-b: INSTALLED\n", reply(lines[0]).get("text"));
                assertEquals("{\"ok\":true,\"message\":\"initiated a\"}", lines[1]);
            } finally {
                nc.destroyForcibly();
            }
        }
    }

    @Test
    void aStaleSocketFromACrashIsReplaced() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        // A listener that went away without removing its file, as after kill -9.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        try (ControlServer s = ControlServer.start(socket, new EchoCommands());
             RawControlConnection c = new RawControlConnection(socket)) {
            assertEquals(Boolean.TRUE, reply(c.send("{\"command\":\"status\"}\n").readLine()).get("ok"));
        }
    }

    @Test
    void aSecondInstanceIsRefusedAndTheFirstKeepsServing() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        try (ControlServer first = ControlServer.start(socket, new EchoCommands())) {
            ControlServer.AlreadyRunningException e = assertThrows(ControlServer.AlreadyRunningException.class,
                    () -> ControlServer.start(socket, new EchoCommands()));
            assertTrue(e.getMessage().contains("another poolsa instance (pid " + ProcessHandle.current().pid() + ") holds "
                    + socket + ".lock"), e.getMessage());
            try (RawControlConnection c = new RawControlConnection(socket)) {
                assertEquals(Boolean.TRUE, reply(c.send("{\"command\":\"status\"}\n").readLine()).get("ok"));
            }
        }
    }

    @Test
    void aListenerWithoutTheLockIsNotReplaced() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            ControlServer.AlreadyRunningException e = assertThrows(ControlServer.AlreadyRunningException.class,
                    () -> ControlServer.start(socket, new EchoCommands()));
            assertTrue(e.getMessage().contains("a process answers on " + socket), e.getMessage());
            assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "its socket file is left alone");
        }
    }

    @Test
    void aFileThatIsNoSocketIsNotReplaced() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        Files.writeString(socket, "not a socket");
        IOException e = assertThrows(IOException.class, () -> ControlServer.start(socket, new EchoCommands()));
        assertTrue(e.getMessage().contains("exists and is not a socket"), e.getMessage());
        assertEquals("not a socket", Files.readString(socket));
    }

    @Test
    void malformedRequestsGetAnErrorAndTheConnectionStaysUsable() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        EchoCommands commands = new EchoCommands();
        try (ControlServer s = ControlServer.start(socket, commands);
             RawControlConnection c = new RawControlConnection(socket)) {
            String[][] cases = {
                {"status", ControlProtocol.MALFORMED_REQUEST, "not JSON: unexpected character 's' at offset 0"},
                {"{\"command\":\"status\"", ControlProtocol.MALFORMED_REQUEST, "not JSON: expected '}' at offset 19"},
                {"[\"status\"]", ControlProtocol.MALFORMED_REQUEST, "a request is a JSON object"},
                {"{\"command\":1}", ControlProtocol.MALFORMED_REQUEST, "\"command\" must be a string"},
                {"{\"command\":\"status\",\"verbose\":true}", ControlProtocol.MALFORMED_REQUEST, "unknown field \"verbose\""},
                {"{\"command\":\"initiate\"}", ControlProtocol.MALFORMED_REQUEST, "initiate needs \"connection\""},
                {"{\"command\":\"initiate\",\"connection\":\"\"}", ControlProtocol.MALFORMED_REQUEST, "initiate needs"},
                {"{\"command\":\"status\",\"connection\":\"x\"}", ControlProtocol.MALFORMED_REQUEST, "status takes no connection"},
                {"{\"command\":\"reboot\"}", ControlProtocol.UNKNOWN_COMMAND, "unknown command \"reboot\""},
                {"{\"command\":\"status\",\"command\":\"status\"}", ControlProtocol.MALFORMED_REQUEST, "duplicate key"},
                {"", ControlProtocol.MALFORMED_REQUEST, "not JSON: expected a value, got the end"},
                {"\u00ff\u0000", ControlProtocol.MALFORMED_REQUEST, "not JSON"},
                {"{\"command\":\"initiate\",\"connection\":\"boom\"}", ControlProtocol.INTERNAL_ERROR, "bug in the command"},
            };
            for (String[] k : cases) {
                Map<?, ?> r = reply(c.send(k[0] + "\n").readLine());
                assertEquals(Boolean.FALSE, r.get("ok"), k[0]);
                assertEquals(k[1], r.get("error"), k[0]);
                assertTrue(((String) r.get("message")).contains(k[2]), k[0] + " -> " + r.get("message"));
            }
            assertEquals(Boolean.TRUE, reply(c.send("{\"command\":\"status\"}\n").readLine()).get("ok"), "still usable");
            assertEquals(List.of("initiate boom", "status"), commands.calls);
        }
    }

    @Test
    void anOverlongRequestIsAnsweredAndTheConnectionClosed() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        EchoCommands commands = new EchoCommands();
        try (ControlServer s = ControlServer.start(socket, commands);
             RawControlConnection c = new RawControlConnection(socket)) {
            String name = "x".repeat(ControlProtocol.MAX_REQUEST_BYTES);
            Map<?, ?> r = reply(c.send("{\"command\":\"initiate\",\"connection\":\"" + name + "\"}\n").readLine());
            assertEquals(ControlProtocol.REQUEST_TOO_LONG, r.get("error"));
            assertNull(c.readLine(), "closed after the answer");
            assertTrue(commands.calls.isEmpty(), "never dispatched");
            // The server itself is fine.
            try (RawControlConnection d = new RawControlConnection(socket)) {
                assertEquals(Boolean.TRUE, reply(d.send("{\"command\":\"status\"}\n").readLine()).get("ok"));
            }
        }
    }

    @Test
    void aRequestOfExactlyTheLimitIsRead() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        EchoCommands commands = new EchoCommands();
        try (ControlServer s = ControlServer.start(socket, commands);
             RawControlConnection c = new RawControlConnection(socket)) {
            String head = "{\"command\":\"initiate\",\"connection\":\"";
            String name = "y".repeat(ControlProtocol.MAX_REQUEST_BYTES - head.length() - 2);
            String line = head + name + "\"}";
            assertEquals(ControlProtocol.MAX_REQUEST_BYTES, line.length());
            assertEquals(Boolean.TRUE, reply(c.send(line + "\n").readLine()).get("ok"));
        }
    }

    @Test
    void repliesStayInOrderAndAPilingClientIsCutOff() throws Exception {
        Path socket = dir.resolve("poolsa.ctl");
        EchoCommands commands = new EchoCommands();
        try (ControlServer s = ControlServer.start(socket, commands);
             RawControlConnection c = new RawControlConnection(socket)) {
            // The first request does not complete yet; the next ones wait behind it.
            c.send("{\"command\":\"initiate\",\"connection\":\"hold\"}\n{\"command\":\"initiate\",\"connection\":\"after\"}\n");
            while (commands.held == null) {
                Thread.sleep(5);
            }
            assertEquals(List.of("initiate hold"), commands.calls, "the second waits for the first's answer");
            commands.held.complete(ControlReply.ok("held done"));
            assertEquals("held done", reply(c.readLine()).get("message"));
            assertEquals("initiated after", reply(c.readLine()).get("message"));

            commands.held = null;
            StringBuilder pile = new StringBuilder("{\"command\":\"initiate\",\"connection\":\"hold\"}\n");
            for (int i = 0; i < ControlProtocol.MAX_PENDING + 1; i++) {
                pile.append("{\"command\":\"status\"}\n");
            }
            c.send(pile.toString());
            Map<?, ?> r = reply(c.readLine());
            assertEquals(ControlProtocol.TOO_MANY_REQUESTS, r.get("error"));
            assertNull(c.readLine(), "closed");
            assertFalse(commands.calls.contains("status"), "none of the piled requests ran");
        }
    }
}
