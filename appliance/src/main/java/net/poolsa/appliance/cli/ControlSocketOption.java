package net.poolsa.appliance.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

import net.poolsa.appliance.control.ControlServer;

/** {@code --control-socket PATH}: where {@code run} listens and {@code status/initiate/terminate} connect. */
public final class ControlSocketOption {
    @Option(names = "--control-socket", paramLabel = "PATH", defaultValue = ControlServer.DEFAULT_PATH_NAME,
            description = "Local control socket (default: ${DEFAULT-VALUE}).")
    Path path = ControlServer.DEFAULT_PATH;
}
