package net.poolsa.appliance.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the SAs of the running instance (SPIs, pools, current outer addresses, counters), "
                + "read from its local HTTP endpoint.",
        footer = {"", "Examples:", "  poolsa status", "  poolsa status --json", "  poolsa status --url http://127.0.0.1:9742"})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;
    @Option(names = "--url", paramLabel = "URL", description = "Endpoint of the instance (default: metrics.listen of the configuration).")
    URI url;
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
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
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
            return ExitCodes.NOT_RUNNING;
        }
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
