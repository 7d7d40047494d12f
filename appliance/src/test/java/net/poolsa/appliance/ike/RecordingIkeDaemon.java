package net.poolsa.appliance.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.IkeSaSnapshot;

/**
 * Test double of the IKE daemon: records what the appliance asks of it (start addresses, every configure, acquires,
 * initiate/terminate, close and how many SAs the kernel still held at close), answers snapshots with {@link #sas}.
 * One instance serves as factory and daemon; {@link #failStart} makes the start fail as a busy port would.
 */
public class RecordingIkeDaemon implements IkeDaemon, IkeDaemon.Factory {
    public final List<List<InetAddress>> starts = new CopyOnWriteArrayList<>();
    public final List<List<IkeConnection>> configures = new CopyOnWriteArrayList<>();
    public final List<InstalledPolicy> acquires = new CopyOnWriteArrayList<>();
    /** The expiries forwarded by the appliance: "SPI soft|hard". */
    public final List<String> expiries = new CopyOnWriteArrayList<>();
    public final List<String> commands = new CopyOnWriteArrayList<>();
    /** Every NAT-keepalive interval the appliance set, in milliseconds. */
    public final List<Long> natKeepalives = new CopyOnWriteArrayList<>();
    public volatile List<IkeSaSnapshot> sas = List.of();
    public volatile IOException failStart;
    public volatile IkeEvents events;
    public volatile int closes;
    /** The kernel's SA count when {@link #close()} ran: Deletes must go out while the SAs still exist. */
    public volatile int sasAtClose = -1;
    private volatile IpsecKernel kernel;
    private volatile List<InetAddress> addresses = List.of();

    @Override
    public IkeDaemon start(List<InetAddress> addresses, IpsecKernel kernel, IkeEvents events) throws IOException {
        if (failStart != null) {
            throw failStart;
        }
        starts.add(List.copyOf(addresses));
        this.addresses = List.copyOf(addresses);
        this.kernel = kernel;
        this.events = events;
        return this;
    }

    @Override
    public CompletionStage<Void> configure(Collection<IkeConnection> connections) {
        configures.add(new ArrayList<>(connections));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> natKeepalive(long intervalMillis) {
        natKeepalives.add(intervalMillis);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<IkeResult> initiate(String connection) {
        commands.add("initiate " + connection);
        return CompletableFuture.completedFuture(new IkeResult(true, "established " + connection));
    }

    @Override
    public CompletionStage<IkeResult> terminate(String connection) {
        commands.add("terminate " + connection);
        return CompletableFuture.completedFuture(new IkeResult(false, "no IKE SA for " + connection));
    }

    @Override
    public CompletionStage<List<IkeSaSnapshot>> snapshot() {
        return CompletableFuture.completedFuture(sas);
    }

    @Override
    public void expired(SecurityAssociation sa, boolean hard) {
        expiries.add(String.format("%08x %s", sa.spi(), hard ? "hard" : "soft"));
    }

    @Override
    public void acquire(InstalledPolicy policy) {
        acquires.add(policy);
    }

    @Override
    public List<InetAddress> addresses() {
        return addresses;
    }

    @Override
    public void close() {
        closes++;
        sasAtClose = kernel.listSas().size();
    }

    /** What {@link #keysWiped()} answers: a test sets false for a shutdown that did not complete. */
    public volatile boolean wipes = true;

    @Override
    public boolean keysWiped() {
        return wipes;
    }
}
