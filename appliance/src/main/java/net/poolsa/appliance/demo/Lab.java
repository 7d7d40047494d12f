package net.poolsa.appliance.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import net.poolsa.esp.divert.HostCommands;

/**
 * The network namespaces and processes of one run of the experiment. Namespace names are {@code TAG-ROLE}, the tag
 * carrying this JVM's PID, so two runs on one machine never share one. {@link #close()} stops every process started
 * here (by its handle: TERM, then KILL) and deletes every namespace created here, which removes their interfaces,
 * also after a failure; with {@code keep} the namespaces stay for inspection and their names are printed.
 */
final class Lab implements AutoCloseable {
    private final String tag;
    private final boolean keep;
    private final Map<String, String> namespaces = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();

    /** Cleans up when the demo is interrupted (Ctrl-C, TERM): the namespaces must not outlive it. */
    private final Thread onExit = new Thread(this::close, "poolsa-demo-cleanup");

    Lab(String tag, boolean keep) {
        this.tag = tag;
        this.keep = keep;
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** A tag for the namespaces of run {@code index} of this JVM: short, since it also names interfaces nowhere. */
    static String tag(int index) {
        return "psx" + Long.toString(ProcessHandle.current().pid(), 36) + index;
    }

    String ns(String role) {
        String n = namespaces.get(role);
        if (n == null) {
            throw new IllegalArgumentException("no namespace for role " + role);
        }
        return n;
    }

    void addNamespace(String role) {
        String n = tag + "-" + role;
        check(HostCommands.local().run(List.of("ip", "netns", "add", n)), "ip netns add " + n);
        namespaces.put(role, n);
        exec(role, "ip", "link", "set", "lo", "up");
    }

    /** A veth pair between two namespaces, both ends up. */
    void veth(String roleA, String devA, String roleB, String devB) {
        check(HostCommands.local().run(List.of("ip", "link", "add", devA, "netns", ns(roleA), "type", "veth", "peer",
                "name", devB, "netns", ns(roleB))), "veth " + devA + "/" + devB);
        exec(roleA, "ip", "link", "set", devA, "up");
        exec(roleB, "ip", "link", "set", devB, "up");
    }

    /** Runs a command in {@code role}'s namespace; throws with its output when it fails. */
    String exec(String role, String... command) {
        HostCommands.Result r = tryExec(role, command);
        check(r, String.join(" ", command) + " in " + ns(role));
        return r.output();
    }

    HostCommands.Result tryExec(String role, String... command) {
        return HostCommands.inNamespace(ns(role)).run(List.of(command));
    }

    /** As {@link #exec} with {@code stdin} (e.g. an nftables ruleset). */
    String execWithInput(String role, String stdin, String... command) {
        HostCommands.Result r = HostCommands.inNamespace(ns(role)).run(List.of(command), stdin);
        check(r, String.join(" ", command) + " in " + ns(role));
        return r.output();
    }

    /** Starts a long-running process in {@code role}'s namespace, stdout and stderr to {@code log}. */
    Process spawn(String role, List<String> command, Path log) throws IOException {
        return spawn(role, command, log, Map.of());
    }

    Process spawn(String role, List<String> command, Path log, Map<String, String> environment) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        c.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(environment);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /**
     * An {@code ip -batch -} in {@code role}'s namespace, started now so that a later command (the failure) runs at
     * the moment it is written, not after the 10-30 ms that starting {@code ip netns exec} takes.
     */
    Batch batch(String role, Path log) throws IOException {
        Process p = new ProcessBuilder("ip", "-n", ns(role), "-batch", "-").redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(p);
        return new Batch(p);
    }

    /** A running {@code ip -batch -}. */
    static final class Batch {
        private final Process process;
        private final OutputStream in;

        Batch(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
        }

        /** Writes one command line; returns the wall-clock time (ms since the epoch, fractional) it was handed over. */
        double command(String line) throws IOException {
            byte[] b = (line + "\n").getBytes(StandardCharsets.US_ASCII);
            double before = System.currentTimeMillis();
            in.write(b);
            in.flush();
            double after = System.currentTimeMillis();
            return (before + after) / 2;
        }

        void close() {
            try {
                in.close();
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                // the process is stopped by Lab.close anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** TERM, then KILL after {@code graceMillis}. */
    static void stop(Process p, long graceMillis) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /** Sends {@code signal} (e.g. "HUP") to one process started here, by its PID. */
    static void signal(Process p, String signal) {
        check(HostCommands.local().run(List.of("kill", "-s", signal, Long.toString(p.pid()))), "kill -s " + signal);
    }

    List<String> namespaceNames() {
        return List.copyOf(namespaces.values());
    }

    @Override
    public synchronized void close() {
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already (the hook runs or ran), or removed by an earlier close
            }
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            stop(processes.get(i), 10_000);
        }
        processes.clear();
        if (keep) {
            return;
        }
        for (String n : namespaces.values()) {
            HostCommands.local().run(List.of("ip", "netns", "del", n));
        }
        namespaces.clear();
    }

    private static void check(HostCommands.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " failed: " + r.output());
        }
    }
}
