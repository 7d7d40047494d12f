package net.poolsa.appliance.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.DataPathConfig;
import net.poolsa.appliance.config.IkeSettings;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.control.ControlProtocol;
import net.poolsa.appliance.control.ControlReply;
import net.poolsa.appliance.control.IkeControl;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.metrics.StatusReport;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.IkeSaSnapshot;

/**
 * The appliance's side of IKE keying, as {@code ManualKeying} is for manual SAs: starts the IKE daemon when the
 * configuration first has an IKE-keyed connection (bound on the uplink addresses in those connections' local outer
 * pools), hands it the connections with their reqids from {@link ConnectionManager} on start and on every reload,
 * forwards the data plane's acquires, answers {@code poolsa initiate/terminate}, and closes it (Deletes sent) before
 * the kernel is flushed.
 *
 * <p>The sockets are bound once: a reload that would need other addresses keeps the ones bound and says so
 * ({@code event=reload_partial}), as for data-path settings.
 */
public final class IkeKeying implements IkeControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IkeKeying.class);
    /** How long start and reload wait for the engine to take the connections (it negotiates afterwards). */
    static final long CONFIGURE_TIMEOUT_SECONDS = 10;
    /** How long the synchronous status (HTTP /status) waits for the engine's snapshot. */
    static final long SNAPSHOT_TIMEOUT_SECONDS = 2;

    private final IkeDaemon.Factory factory;
    private final IpsecKernel kernel;
    private final IkeEvents events;
    private volatile IkeDaemon daemon;
    private volatile boolean keysLeft;

    public IkeKeying(IkeDaemon.Factory factory, IpsecKernel kernel, IkeEvents events) {
        this.factory = factory;
        this.kernel = kernel;
        this.events = events;
    }

    /** {@link #apply(DataPathConfig, IkeSettings, List)} with the connections of {@code config} (applied to {@code manager}). */
    public List<String> apply(PoolsaConfig config, ConnectionManager manager) throws IOException, IkeConfigureException {
        return apply(config.dataPath(), config.ike(), IkeConnections.forEngine(config, manager));
    }

    /**
     * Gives the engine {@code connections} (all IKE-keyed ones of the configuration), starting it first if needed on
     * the uplink addresses of {@code dataPath} in their local outer pools, and the daemon's own {@code settings} (the
     * NAT-keepalive interval, applied at once to the established IKE SAs too). Returns once the engine took them. The
     * connections' key copies become the engine's; they are wiped here if it never gets them.
     *
     * @return the names of the connections configured
     * @throws IOException when the daemon cannot bind its sockets
     * @throws IkeConfigureException when the engine refuses or does not take the connections in time
     */
    public synchronized List<String> apply(DataPathConfig dataPath, IkeSettings settings, List<IkeConnection> connections)
            throws IOException, IkeConfigureException {
        boolean handed = false;
        try {
            IkeDaemon d = daemon;
            List<InetAddress> wanted = IkeConnections.localAddresses(dataPath, connections);
            if (d == null) {
                if (connections.isEmpty()) {
                    return List.of();
                }
                if (wanted.isEmpty()) {
                    throw new IkeConfigureException("no uplink address lies in the local outer pool of an IKE connection: "
                            + "nothing to bind IKE to");
                }
                d = factory.start(wanted, kernel, events);
                daemon = d;
                LOG.info("event=ike_started addresses={} ports=500,4500", format(wanted));
            } else if (!connections.isEmpty() && !new HashSet<>(d.addresses()).equals(new HashSet<>(wanted))) {
                LOG.warn("event=reload_partial reason=\"IKE stays bound to {}; restart to bind {}\"", format(d.addresses()),
                        format(wanted));
            }
            // before the connections, so that the IKE SAs they bring up start with this interval
            d.natKeepalive(settings.natKeepaliveMillis()).toCompletableFuture().get(CONFIGURE_TIMEOUT_SECONDS,
                    TimeUnit.SECONDS);
            handed = true;
            d.configure(connections).toCompletableFuture().get(CONFIGURE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IkeConfigureException("the IKE engine refused the connections: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IkeConfigureException("the IKE engine did not take the connections within "
                    + CONFIGURE_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IkeConfigureException("interrupted while configuring IKE");
        } finally {
            if (!handed) {
                connections.forEach(IkeConnection::wipe);
            }
        }
        return connections.stream().map(IkeConnection::name).toList();
    }

    /** From the data plane's path monitor: a DPD probe over the path from {@code local} to {@code remote}, please. */
    public void probePath(java.net.InetAddress local, java.net.InetAddress remote) {
        IkeDaemon d = daemon;
        if (d != null) {
            d.probePath(local, remote);
        }
    }

    /** From the kernel listener: a PROTECT policy without SA was hit. */
    public void acquire(InstalledPolicy policy) {
        IkeDaemon d = daemon;
        if (d != null) {
            d.acquire(policy);
        }
    }

    /**
     * The data plane crossed a lifetime of SA {@code sa} of IKE connection {@code connection}: the engine rekeys the
     * pair at a soft limit (make-before-break) and, at a hard one (the SA is already removed), deletes the pair with a
     * Delete to the peer and negotiates it again unless a newer pair carries the traffic or the start action is none.
     */
    public void expired(String connection, SecurityAssociation sa, boolean hard) {
        IkeDaemon d = daemon;
        if (d == null) {
            return;
        }
        if (hard) {
            LOG.info("event=ike_child_expired connection={} spi={} direction={}", connection, sa.spiHex(),
                    sa.direction().name().toLowerCase(java.util.Locale.ROOT));
        }
        d.expired(sa, hard);
    }

    /** True once the daemon runs. */
    public boolean running() {
        return daemon != null;
    }

    /** The IKE SAs with their child SAs; empty when no daemon runs. */
    public CompletionStage<List<IkeSaSnapshot>> snapshot() {
        IkeDaemon d = daemon;
        return d == null ? CompletableFuture.completedFuture(List.of()) : d.snapshot();
    }

    @Override
    public CompletionStage<StatusReport.IkeView> status() {
        return snapshot().handle((sas, failure) -> {
            if (failure != null) {
                LOG.warn("event=ike_snapshot_failed error=\"{}\"", failure.getMessage());
                return StatusReport.IkeView.unanswered(kernel.listSas());
            }
            return new StatusReport.IkeView(sas, kernel.listSas(), true);
        });
    }

    /** {@link #status()} for callers that must answer synchronously (HTTP /status), waiting a bounded time. */
    public StatusReport.IkeView statusNow() {
        try {
            return status().toCompletableFuture().get(SNAPSHOT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return StatusReport.IkeView.unanswered(kernel.listSas());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StatusReport.IkeView.unanswered(kernel.listSas());
        }
    }

    @Override
    public CompletionStage<ControlReply> initiate(ConnectionConfig connection) {
        IkeDaemon d = daemon;
        if (d == null) {
            return CompletableFuture.completedFuture(notRunning(connection));
        }
        return reply(d.initiate(connection.name()));
    }

    @Override
    public CompletionStage<ControlReply> terminate(ConnectionConfig connection) {
        IkeDaemon d = daemon;
        if (d == null) {
            return CompletableFuture.completedFuture(notRunning(connection));
        }
        return reply(d.terminate(connection.name()));
    }

    private static ControlReply notRunning(ConnectionConfig c) {
        return ControlReply.error(ControlProtocol.IKE_UNAVAILABLE, "connection " + c.name()
                + " is keyed by IKE, but the IKE daemon is not running");
    }

    private static CompletionStage<ControlReply> reply(CompletionStage<IkeResult> result) {
        return result.handle((r, failure) -> {
            if (failure != null) {
                Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                return ControlReply.error(ControlProtocol.IKE_FAILED, String.valueOf(t.getMessage()));
            }
            return r.ok() ? ControlReply.ok(r.message()) : ControlReply.error(ControlProtocol.IKE_FAILED, r.message());
        });
    }

    /** Closes the daemon: Deletes to the peers, its SAs removed, sockets closed. Idempotent. */
    @Override
    public synchronized void close() {
        IkeDaemon d = daemon;
        daemon = null;
        if (d != null) {
            d.close();
            keysLeft = !d.keysWiped();
            LOG.info("event=ike_stopped");
        }
    }

    /** True when a daemon was closed without wiping its keys (its shutdown did not complete in time). */
    public boolean keysLeft() {
        return keysLeft;
    }

    private static String format(List<InetAddress> addresses) {
        return String.join(",", addresses.stream().map(InetAddress::getHostAddress).toList());
    }

    /** The engine did not take the configuration; the message says why. */
    public static final class IkeConfigureException extends Exception {
        public IkeConfigureException(String message) {
            super(message);
        }
    }
}
