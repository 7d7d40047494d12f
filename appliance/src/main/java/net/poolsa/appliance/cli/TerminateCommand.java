package net.poolsa.appliance.cli;

import picocli.CommandLine.Command;
import net.poolsa.appliance.control.ControlProtocol;

@Command(name = "terminate", mixinStandardHelpOptions = true,
        description = "Take a connection of the running instance down (through its control socket). "
                + "Refused for a manually keyed connection: remove it from the configuration and reload instead.",
        footer = {"", "Example:", "  poolsa terminate site-c"})
final class TerminateCommand extends ConnectionCommand {
    @Override
    String command() {
        return ControlProtocol.TERMINATE;
    }
}
