package net.poolsa.appliance.control;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

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
        return route(name, this::nothingToNegotiate, ike == null ? null : ike::initiate);
    }

    @Override
    public CompletionStage<ControlReply> terminate(String name) {
        return route(name, c -> ControlReply.error(ControlProtocol.MANUALLY_KEYED, "connection " + c.name()
                + " is keyed manually: its SAs live as long as its configuration; remove it from the "
                + "configuration and reload (systemctl reload poolsa) to take it down"), ike == null ? null : ike::terminate);
    }

    /** Unknown names are errors; manual connections get {@code manual}'s answer; IKE ones go to {@code viaIke}. */
    private CompletionStage<ControlReply> route(String name, Function<ConnectionConfig, ControlReply> manual,
                                                Function<ConnectionConfig, CompletionStage<ControlReply>> viaIke) {
        ConnectionConfig c = manager.connections().get(name);
        if (c == null) {
            return unknown(name);
        }
        if (c.manuallyKeyed()) {
            return done(manual.apply(c));
        }
        if (viaIke == null) {
            return done(ControlReply.error(ControlProtocol.IKE_UNAVAILABLE, "connection " + name
                    + " is keyed by IKE, which is not available in this build"));
        }
        return viaIke.apply(c);
    }

    private ControlReply nothingToNegotiate(ConnectionConfig c) {
        InstalledConnection ic = manager.installed(c.name());
        if (ic == null) {
            // Only between the two lookups, when a concurrent reload removed the connection.
            return ControlReply.error(ControlProtocol.NOT_INSTALLED, "connection " + c.name()
                    + " is keyed manually but has no SAs installed right now (a reload is changing it)");
        }
        return ControlReply.ok("connection " + c.name() + " is keyed manually: nothing to negotiate; its SAs are "
                + "installed (reqid " + ic.reqid() + ", SPI in " + ic.inbound().spiHex() + ", out "
                + ic.outbound().spiHex() + ")");
    }

    private CompletionStage<ControlReply> unknown(String name) {
        return done(ControlReply.error(ControlProtocol.UNKNOWN_CONNECTION, "no connection named " + Json.quote(name)
                + "; configured: " + (manager.connections().isEmpty() ? "none" : String.join(", ", manager.connections().keySet()))));
    }

    private static CompletionStage<ControlReply> done(ControlReply r) {
        return CompletableFuture.completedFuture(r);
    }
}
