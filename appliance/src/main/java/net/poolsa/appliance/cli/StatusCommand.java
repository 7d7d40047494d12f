package net.poolsa.appliance.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.control.ControlClient;
import net.poolsa.appliance.control.ControlProtocol;
import net.poolsa.appliance.control.Json;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the SAs of the running instance (SPIs, pools, current outer addresses, counters), "
                + "read from its control socket; when nothing answers there (an instance started without it, "
                + "or a user outside group poolsa), from its local HTTP endpoint (metrics.listen of the configuration).",
        footer = {"", "Examples:", "  poolsa status", "  poolsa status --json", "  poolsa status --url http://127.0.0.1:9742"})
final class StatusCommand implements Callable<Integer> {
    /** A status report is built in a few milliseconds; this only guards against a wedged instance. */
    static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);

    @Mixin
    ConfigOption config;
    @Mixin
    ControlSocketOption socket;
    @Option(names = "--url", paramLabel = "URL", description = "Read from this HTTP endpoint only, not the control socket.")
    URI url;
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        String socketProblem = null;
        if (url == null) {
            try {
                return fromSocket();
            } catch (ControlClient.UnreachableException e) {
                socketProblem = e.getMessage();
            } catch (IOException e) {
                spec.commandLine().getErr().println("poolsa: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
        URI base = url;
        if (base == null) {
            try {
                base = toUri(ConfigLoader.metricsAddress(config.file));
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("poolsa: " + e.getMessage());
                return ExitCodes.CONFIG;
            }
        }
        URI target = base.resolve(json ? "/status.json" : "/status");
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()
                    .send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                spec.commandLine().getErr().println("poolsa: " + target + " answered HTTP " + r.statusCode());
                return ExitCodes.NOT_RUNNING;
            }
            spec.commandLine().getOut().print(r.body());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        } catch (IOException e) {
            spec.commandLine().getErr().println("poolsa: no running instance at " + target + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")"
                    + (socketProblem == null ? "" : "; " + socketProblem));
            return ExitCodes.NOT_RUNNING;
        }
    }

    /** The report from the control socket, printed exactly as the HTTP endpoint would serve it. */
    private int fromSocket() throws IOException {
        Map<String, Object> reply = ControlClient.call(socket.path, new ControlProtocol.Request(ControlProtocol.STATUS, null),
                SOCKET_TIMEOUT);
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            spec.commandLine().getErr().println("poolsa: " + reply.get("message") + " (" + reply.get("error") + ")");
            return ExitCodes.FAILURE;
        }
        Object body = json ? reply.get("status") : reply.get("text");
        if (body == null) {
            spec.commandLine().getErr().println("poolsa: the control socket's status answer has no report");
            return ExitCodes.FAILURE;
        }
        spec.commandLine().getOut().print(json ? Json.write(body) : (String) body);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    /** A wildcard listen address is reached over loopback. */
    static URI toUri(InetSocketAddress a) {
        java.net.InetAddress host = a.getAddress();
        if (host == null || host.isAnyLocalAddress()) {
            host = java.net.InetAddress.getLoopbackAddress();
        }
        String h = host.getHostAddress();
        if (h.contains(":")) {
            h = "[" + h + "]";
        }
        return URI.create("http://" + h + ":" + a.getPort());
    }
}
