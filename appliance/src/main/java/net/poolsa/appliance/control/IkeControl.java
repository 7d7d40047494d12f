package net.poolsa.appliance.control;

import java.util.concurrent.CompletionStage;

import net.poolsa.appliance.config.ConnectionConfig;

/**
 * The seam through which {@code poolsa initiate/terminate} reach IKE for connections keyed by IKE: the
 * IKE module implements it (negotiating on its own event loop) and the appliance passes it to
 * {@link ApplianceControl}. This build has no implementation: {@link ApplianceControl} then answers
 * {@link ControlProtocol#IKE_UNAVAILABLE}, and {@code poolsa run} refuses IKE connections anyway.
 */
public interface IkeControl {
    /** Start Main Mode and Quick Mode for {@code connection}; complete when they succeeded or failed. */
    CompletionStage<ControlReply> initiate(ConnectionConfig connection);

    /** Delete the connection's IPsec and IKE SAs (with Delete notifications to the peer). */
    CompletionStage<ControlReply> terminate(ConnectionConfig connection);
}
