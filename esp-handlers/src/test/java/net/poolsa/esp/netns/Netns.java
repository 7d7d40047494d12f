package net.poolsa.esp.netns;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import net.poolsa.esp.divert.HostCommands;

/**
 * A network namespace owned by a test (needs root). {@link #close()} kills the processes this object
 * started (by their handles, never by name) and deletes the namespace, which also removes its interfaces.
 * Names carry this JVM's PID so parallel test runs of other modules cannot collide.
 */
public final class Netns implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private final String name;
    private final List<Process> children = new ArrayList<>();

    private Netns(String name) {
        this.name = name;
    }

    public static Netns create(String prefix) {
        // -Dpoolsa.netns.prefix=WORD puts WORD in front of every name, so that runs of several branches on one host
        // can be told apart (and cleaned up) by name.
        String n = System.getProperty("poolsa.netns.prefix", "") + prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        check(HostCommands.local().run(List.of("ip", "netns", "add", n)), "ip netns add " + n);
        Netns ns = new Netns(n);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    public HostCommands commands() {
        return HostCommands.inNamespace(name);
    }

    /** Runs a command in the namespace; throws with its output when it fails. */
    public String exec(String... command) {
        HostCommands.Result r = tryExec(command);
        check(r, String.join(" ", command) + " in " + name);
        return r.output();
    }

    public HostCommands.Result tryExec(String... command) {
        return commands().run(Arrays.asList(command));
    }

    /** Starts a long-running process in the namespace, output to {@code log}; killed by {@link #close()}. */
    public Process spawn(List<String> command, Path log) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(command);
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        return p;
    }

    /** Stops one process this namespace started: TERM, then KILL after {@code graceMillis}. */
    public static void stop(Process p, long graceMillis) {
        List<ProcessHandle> kids = p.descendants().toList();
        p.destroy();
        try {
            if (!p.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kids.forEach(ProcessHandle::destroyForcibly);
    }

    /** A veth pair between two namespaces. */
    public static void veth(Netns a, String ifA, Netns b, String ifB) {
        a.exec("ip", "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", b.name());
        a.exec("ip", "link", "set", ifA, "up");
        b.exec("ip", "link", "set", ifB, "up");
    }

    @Override
    public void close() {
        for (Process p : children) {
            if (p.isAlive()) {
                stop(p, 3000);
            }
        }
        children.clear();
        HostCommands.local().run(List.of("ip", "netns", "del", name));
    }

    private static void check(HostCommands.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " failed: " + r.output());
        }
    }
}
