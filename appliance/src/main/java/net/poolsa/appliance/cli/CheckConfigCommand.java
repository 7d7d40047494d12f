package net.poolsa.appliance.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.DataPathConfig;
import net.poolsa.appliance.config.PoolsaConfig;

@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Validate the configuration and its secret files (exit 0 when usable, 3 when not).",
        footer = {"", "Example:", "  poolsa check-config -c /etc/poolsa/poolsa.yaml"})
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PoolsaConfig c;
        try {
            c = ConfigLoader.load(config.file);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("poolsa: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        long manual = c.connections().values().stream().filter(ConnectionConfig::manuallyKeyed).count();
        spec.commandLine().getOut().printf("%s: OK, %d connection(s): %d manually keyed, %d by IKE%n",
                config.file, c.connections().size(), manual, c.connections().size() - manual);
        // a note, not a refusal: the file may be checked on another machine than the gateway (a build host, CI)
        List<String> missing = c.dataPath().missingInterfaces(DataPathConfig::interfaceExists);
        if (!missing.isEmpty()) {
            spec.commandLine().getErr().println("poolsa: " + config.file + ": note: no such network interface on this host: "
                    + String.join(", ", missing) + " (poolsa run here would refuse to start)");
        }
        return ExitCodes.OK;
    }
}
