package net.poolsa.appliance.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.lifecycle.Appliance;
import net.poolsa.appliance.lifecycle.Capabilities;
import net.poolsa.appliance.lifecycle.DataPathProvider;
import net.poolsa.appliance.lifecycle.Libpcap;
import net.poolsa.appliance.state.SequenceStore;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the gateway in the foreground until SIGTERM or SIGINT; SIGHUP reloads the configuration.",
        footer = {"", "Example:", "  poolsa run -c /etc/poolsa/poolsa.yaml",
            "Needs CAP_NET_RAW and CAP_NET_ADMIN (the systemd unit grants them) and libpcap.",
            "The state directory keeps the sequence numbers of manually keyed SAs across restarts; one per instance."})
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOption config;
    @Mixin
    ControlSocketOption controlSocket;
    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/poolsa",
            description = "Where manually keyed SAs keep their sequence numbers and replay-window tops "
                    + "(RFC 4303 §3.3.3); created if missing, must be writable (default: ${DEFAULT-VALUE}).")
    Path stateDir = SequenceStore.DEFAULT_DIR;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        PoolsaConfig cfg;
        try {
            cfg = ConfigLoader.load(config.file);
        } catch (ConfigException e) {
            err.println("poolsa: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        for (ConnectionConfig c : cfg.connections().values()) {
            if (!c.manuallyKeyed()) {
                err.println("poolsa: connection " + c.name() + " is keyed by IKE, which is not available in this build; "
                        + "configure manual SAs for it or remove it");
                return ExitCodes.UNAVAILABLE;
            }
        }
        List<DataPathProvider> providers = DataPathProvider.available();
        // -Dpoolsa.dataPath=NAME picks a provider by name (tests use a recording one); default: the first found.
        String wanted = System.getProperty("poolsa.dataPath");
        if (wanted != null) {
            providers = providers.stream().filter(p -> p.name().equals(wanted)).toList();
        }
        if (providers.isEmpty()) {
            err.println("poolsa: this build has no data path" + (wanted == null ? "" : " named '" + wanted + "'")
                    + " (no " + DataPathProvider.class.getName() + " on the class path), so it cannot protect traffic;"
                    + " refusing to start");
            return ExitCodes.UNAVAILABLE;
        }
        try {
            List<String> missing = Capabilities.ofCurrentProcess().missingForDataPath();
            if (!missing.isEmpty()) {
                err.println("poolsa: missing capabilities " + String.join(", ", missing)
                        + "; run as root or under the poolsa systemd unit (AmbientCapabilities)");
                return ExitCodes.PRIVILEGES;
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("poolsa: cannot read the process capabilities: " + e.getMessage());
            return ExitCodes.PRIVILEGES;
        }
        String pcap = Libpcap.problem();
        if (pcap != null) {
            err.println("poolsa: " + pcap);
            return ExitCodes.NO_LIBPCAP;
        }
        Appliance appliance;
        try {
            appliance = Appliance.start(cfg, providers.get(0), VersionProvider.version(), controlSocket.path, stateDir);
        } catch (Appliance.StartupException e) {
            err.println("poolsa: " + e.getMessage());
            return ExitCodes.STARTUP;
        }
        CountDownLatch stop = new CountDownLatch(1);
        SignalHandlers.install(appliance::reload, stop::countDown);
        // A shutdown hook covers exits that bypass the signal handlers; close() is idempotent.
        Thread hook = new Thread(appliance::close, "poolsa-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stop.await();
        LOG.info("event=stopping reason=signal");
        appliance.close();
        return ExitCodes.OK;
    }
}
