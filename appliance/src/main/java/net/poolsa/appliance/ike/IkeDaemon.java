package net.poolsa.appliance.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.IkeSaSnapshot;

/**
 * The IKE daemon as the appliance drives it: {@link EngineDaemon} runs {@code net.poolsa.ike.IkeEngine}; tests
 * substitute a recording one, so that the life cycle (configure on start and reload, acquires, Deletes before the
 * kernel flush) is checked without binding UDP/500 on addresses the test host does not have.
 */
public interface IkeDaemon extends AutoCloseable {
    /** Sets the IKE connections: added ones are set up, removed ones deleted, changed ones renegotiated. */
    CompletionStage<Void> configure(Collection<IkeConnection> connections);

    CompletionStage<IkeResult> initiate(String connection);

    /**
     * How often an IKE SA behind a NAT sends a NAT-keepalive (RFC 3948 §2.3), in milliseconds, 0 for none; applies to
     * the established IKE SAs too.
     */
    CompletionStage<Void> natKeepalive(long intervalMillis);

    CompletionStage<IkeResult> terminate(String connection);

    CompletionStage<List<IkeSaSnapshot>> snapshot();

    /** A PROTECT policy without SA was hit (any thread). */
    void acquire(InstalledPolicy policy);

    /**
     * The data plane crossed a soft ({@code hard} false: rekey now) or hard lifetime (the SA is already removed) of
     * an SA the daemon installed (any thread).
     */
    void expired(SecurityAssociation sa, boolean hard);

    /** The data plane wants a DPD probe over the path from {@code local} to {@code remote} (any thread). */
    default void probePath(InetAddress local, InetAddress remote) {
    }

    /** The addresses the IKE sockets are bound to. */
    List<InetAddress> addresses();

    /** Sends Deletes for the established SAs, removes what it installed, closes the sockets. */
    @Override
    void close();

    /** After {@link #close()}: whether it wiped every key the daemon held (its pre-shared key copies, IKE SA keys). */
    boolean keysWiped();

    /** Starts a daemon bound on {@code addresses} (ports 500 and 4500), installing SAs through {@code kernel}. */
    @FunctionalInterface
    interface Factory {
        IkeDaemon start(List<InetAddress> addresses, IpsecKernel kernel, IkeEvents events) throws IOException;
    }
}
