package net.poolsa.appliance.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** {@code -c/--config FILE}, shared by the subcommands that read the configuration. */
public final class ConfigOption {
    public static final String DEFAULT = "/etc/poolsa/poolsa.yaml";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = DEFAULT,
            description = "Configuration file (default: ${DEFAULT-VALUE}).")
    Path file;
}
