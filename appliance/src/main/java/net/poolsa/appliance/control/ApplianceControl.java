package net.poolsa.appliance.control;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.InstalledConnection;
import net.poolsa.appliance.metrics.StatusReport;

/**
 * The appliance's answers to the control socket. A manually keyed connection has nothing to negotiate:
 * {@code initiate} says so (its SAs are installed from the configuration), {@code terminate} is refused,
 * since its SAs live exactly as long as its configuration (a reload would otherwise have to tell a
 * terminated connection from a removed one). IKE connections go to {@link IkeControl}, when there is one.
 */
public final class ApplianceControl implements ControlCommands {
    private final ConnectionManager manager;
    private final IkeControl ike;

    /**
     * @param ike the IKE module's control, or null when this build has none
     */
    public ApplianceControl(ConnectionManager manager, IkeControl ike) {
        this.manager = manager;
        this.ike = ike;
    }

    @Override
    public CompletionStage<ControlReply> status() {
        long now = System.nanoTime();
        return done(ControlReply.status(StatusReport.text(manager, now), StatusReport.json(manager, now)));
    }

    @Override
    public CompletionStage<ControlReply> initiate(String name) {
        ConnectionConfig c = manager.connections().get(name);
        if (c == null) {
            return unknown(name);
        }
        if (c.manuallyKeyed()) {
            InstalledConnection ic = manager.installed(name);
            if (ic == null) {
                return done(ControlReply.error(ControlProtocol.NOT_INSTALLED, "connection " + name
                        + " is keyed manually but its SAs are not installed; see the log"));
            }
            return done(ControlReply.ok("connection " + name + " is keyed manually: nothing to negotiate; its SAs are "
                    + "installed (reqid " + ic.reqid() + ", SPI in " + ic.inbound().spiHex() + ", out "
                    + ic.outbound().spiHex() + ")"));
        }
        if (ike == null) {
            return ikeUnavailable(name);
        }
        return ike.initiate(c);
    }

    @Override
    public CompletionStage<ControlReply> terminate(String name) {
        ConnectionConfig c = manager.connections().get(name);
        if (c == null) {
            return unknown(name);
        }
        if (c.manuallyKeyed()) {
            return done(ControlReply.error(ControlProtocol.MANUALLY_KEYED, "connection " + name
                    + " is keyed manually: its SAs live as long as its configuration; remove it from the "
                    + "configuration and reload (systemctl reload poolsa) to take it down"));
        }
        if (ike == null) {
            return ikeUnavailable(name);
        }
        return ike.terminate(c);
    }

    private CompletionStage<ControlReply> unknown(String name) {
        return done(ControlReply.error(ControlProtocol.UNKNOWN_CONNECTION, "no connection named " + Json.quote(name)
                + "; configured: " + (manager.connections().isEmpty() ? "none" : String.join(", ", manager.connections().keySet()))));
    }

    private static CompletionStage<ControlReply> ikeUnavailable(String name) {
        return done(ControlReply.error(ControlProtocol.IKE_UNAVAILABLE, "connection " + name
                + " is keyed by IKE, which is not available in this build"));
    }

    private static CompletionStage<ControlReply> done(ControlReply r) {
        return CompletableFuture.completedFuture(r);
    }
}
