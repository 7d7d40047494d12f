package net.poolsa.appliance.control;

import java.util.concurrent.CompletionStage;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.metrics.StatusReport;

/**
 * The seam through which {@code poolsa initiate/terminate/status} reach IKE for connections keyed by IKE:
 * {@code net.poolsa.appliance.ike.IkeKeying} implements it on the IKE engine (negotiating on the engine's event
 * loop) and the appliance passes it to {@link ApplianceControl}. Without one (tests, a build without IKE),
 * {@link ApplianceControl} answers {@link ControlProtocol#IKE_UNAVAILABLE}.
 */
public interface IkeControl {
    /** Start Main Mode and Quick Mode for {@code connection}; complete when they succeeded or failed. */
    CompletionStage<ControlReply> initiate(ConnectionConfig connection);

    /** Delete the connection's IPsec and IKE SAs (with Delete notifications to the peer). */
    CompletionStage<ControlReply> terminate(ConnectionConfig connection);

    /** The IKE SAs and their child SAs, for {@code poolsa status}. */
    CompletionStage<StatusReport.IkeView> status();
}
