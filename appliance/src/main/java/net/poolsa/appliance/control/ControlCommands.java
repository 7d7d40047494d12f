package net.poolsa.appliance.control;

import java.util.concurrent.CompletionStage;

/**
 * What the control socket can ask of the running appliance. Answers may complete later (an IKE negotiation
 * takes round trips), on any thread; the socket answers each connection's requests in order.
 */
public interface ControlCommands {
    /** The SAs, as {@code /status} and {@code /status.json} report them. */
    CompletionStage<ControlReply> status();

    /** Bring a connection up. */
    CompletionStage<ControlReply> initiate(String connection);

    /** Take a connection down. */
    CompletionStage<ControlReply> terminate(String connection);
}
