package net.poolsa.esp.divert;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs host configuration commands ({@code ip}, {@code nft}, {@code sysctl}) as child processes, without a
 * shell (arguments are never parsed by one). Injectable so that the divert logic can be tested against a
 * recorder, and so that a test can run the same commands inside a network namespace.
 */
@FunctionalInterface
public interface HostCommands {
    /** Result of one command. */
    record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    Result run(List<String> command, String stdin);

    default Result run(List<String> command) {
        return run(command, null);
    }

    /** Runs commands on this host (the network namespace of this process). */
    static HostCommands local() {
        return (command, stdin) -> {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            try {
                Process p = pb.start();
                if (stdin != null) {
                    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                p.getOutputStream().close();
                byte[] out;
                try (InputStream in = p.getInputStream()) {
                    out = in.readAllBytes();
                }
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, command.get(0) + " timed out");
                }
                return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                return new Result(-1, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(-1, "interrupted");
            }
        };
    }

    /** Runs every command through {@code ip netns exec NS} (tests). */
    static HostCommands inNamespace(String namespace) {
        HostCommands local = local();
        return (command, stdin) -> {
            List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            c.addAll(command);
            return local.run(c, stdin);
        };
    }
}
