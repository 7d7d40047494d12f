package net.poolsa.appliance.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code poolsa}: the appliance's one executable.
 */
@Command(name = "poolsa", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Userspace IPsec gateway whose SAs hold pools of outer addresses, so a multihomed "
                + "peer keeps one SA pair across all its paths.",
        subcommands = {RunCommand.class, CheckConfigCommand.class, StatusCommand.class, InitiateCommand.class,
            TerminateCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  poolsa check-config -c /etc/poolsa/poolsa.yaml",
            "  systemctl start poolsa     # runs: poolsa run -c /etc/poolsa/poolsa.yaml",
            "  systemctl reload poolsa    # SIGHUP: unchanged connections keep their SAs",
            "  poolsa status              # SAs, pools, outer addresses, counters",
            "  poolsa initiate NAME       # through the control socket /run/poolsa/poolsa.ctl",
            "  curl -s http://127.0.0.1:9742/metrics",
            "", ExitCodes.HELP})
public final class PoolsaCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PoolsaCommand());
        cl.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
        cl.getCommandSpec().exitCodeOnExecutionException(ExitCodes.FAILURE);
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().exitCodeOnInvalidInput(ExitCodes.USAGE);
            sub.getCommandSpec().exitCodeOnExecutionException(ExitCodes.FAILURE);
        }
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
