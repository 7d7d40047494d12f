package net.poolsa.appliance.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

import net.poolsa.esp.divert.HostDivert;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEngine;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.IkeSaSnapshot;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.transport.IkeTransportConfig;

/** {@link IkeDaemon} on the IKEv1 engine of {@code ike-handlers}, on the standard ports 500 and 4500. */
public final class EngineDaemon implements IkeDaemon {
    /** What {@code poolsa run} uses. */
    public static final Factory FACTORY = EngineDaemon::start;

    private final IkeEngine engine;
    private final List<InetAddress> addresses;

    private EngineDaemon(IkeEngine engine, List<InetAddress> addresses) {
        this.engine = engine;
        this.addresses = List.copyOf(addresses);
    }

    static EngineDaemon start(List<InetAddress> addresses, IpsecKernel kernel, IkeEvents events) throws IOException {
        // IKE carries the data plane's mark like everything else poolsa sends, so the divert's policy rule (what is
        // not marked goes to the sink table first) routes it normally, also where the peer's IKE address lies in a
        // remote protected pool (the host case).
        IkeEngine engine = IkeEngine.start(IkeTransportConfig.standard(addresses).withSocketMark(HostDivert.FWMARK), kernel,
                events, IkeRandom.system());
        return new EngineDaemon(engine, addresses);
    }

    @Override
    public CompletionStage<Void> configure(Collection<IkeConnection> connections) {
        return engine.configure(connections);
    }

    @Override
    public CompletionStage<Void> natKeepalive(long intervalMillis) {
        return engine.natKeepalive(intervalMillis);
    }

    @Override
    public CompletionStage<IkeResult> initiate(String connection) {
        return engine.initiate(connection);
    }

    @Override
    public CompletionStage<IkeResult> terminate(String connection) {
        return engine.terminate(connection);
    }

    @Override
    public CompletionStage<List<IkeSaSnapshot>> snapshot() {
        return engine.snapshot();
    }

    @Override
    public void acquire(InstalledPolicy policy) {
        engine.acquire(policy);
    }

    @Override
    public void expired(SecurityAssociation sa, boolean hard) {
        engine.expired(sa, hard);
    }

    @Override
    public void probePath(InetAddress local, InetAddress remote) {
        engine.probePath(local, remote);
    }

    @Override
    public List<InetAddress> addresses() {
        return addresses;
    }

    @Override
    public void close() {
        engine.close();
    }

    @Override
    public boolean keysWiped() {
        return engine.keysWiped();
    }
}
