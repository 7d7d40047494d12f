package net.poolsa.appliance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.control.ControlClient;
import net.poolsa.appliance.control.ControlProtocol;

/**
 * {@code initiate} and {@code terminate}: one request about one connection on the control socket; the
 * answer's message is printed (stdout when it succeeded, stderr when refused).
 */
abstract class ConnectionCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "Connection name, as in the configuration.")
    String name;
    @Mixin
    ControlSocketOption socket;
    @Option(names = "--timeout", paramLabel = "TIME", defaultValue = "60s", converter = DurationConverter.class,
            description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
    Duration timeout;
    @Spec
    CommandSpec spec;

    /** {@link ControlProtocol#INITIATE} or {@link ControlProtocol#TERMINATE}. */
    abstract String command();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> reply;
        try {
            reply = ControlClient.call(socket.path, new ControlProtocol.Request(command(), name), timeout);
        } catch (ControlClient.UnreachableException e) {
            err.println("poolsa: no running instance: " + e.getMessage());
            return ExitCodes.NOT_RUNNING;
        } catch (ControlClient.NoAnswerException e) {
            // A Main Mode the peer refused in the clear retransmits for minutes (unauthenticated notifications
            // change nothing): the instance is alive and working, not broken.
            err.println("poolsa: " + command() + " " + name + ": no result within "
                    + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms") + "; the "
                    + "running instance goes on with it: poolsa status shows the IKE SA's state, its log the peer's "
                    + "answers (--timeout waits longer)");
            return ExitCodes.PENDING;
        } catch (IOException e) {
            err.println("poolsa: " + e.getMessage());
            return ExitCodes.FAILURE;
        }
        if (Boolean.TRUE.equals(reply.get("ok"))) {
            out.println(reply.get("message"));
            out.flush();
            return ExitCodes.OK;
        }
        err.println("poolsa: " + reply.get("message") + " (" + reply.get("error") + ")");
        return ExitCodes.REFUSED;
    }
}
