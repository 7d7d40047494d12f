package net.poolsa.appliance.cli;

import picocli.CommandLine.Command;
import net.poolsa.appliance.control.ControlProtocol;

@Command(name = "initiate", mixinStandardHelpOptions = true,
        description = "Bring a connection of the running instance up (through its control socket). "
                + "A manually keyed connection is up whenever it is configured: the answer says so.",
        footer = {"", "Example:", "  poolsa initiate site-b"})
final class InitiateCommand extends ConnectionCommand {
    @Override
    String command() {
        return ControlProtocol.INITIATE;
    }
}
