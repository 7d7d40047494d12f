package net.poolsa.appliance.lifecycle;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.ConnectionConfig;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.control.ApplianceControl;
import net.poolsa.appliance.control.ControlServer;
import net.poolsa.appliance.ike.EngineDaemon;
import net.poolsa.appliance.ike.IkeConnections;
import net.poolsa.appliance.ike.IkeDaemon;
import net.poolsa.appliance.ike.IkeEventLog;
import net.poolsa.appliance.ike.IkeKeying;
import net.poolsa.appliance.keying.ConnectionDiff;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.appliance.metrics.MetricsServer;
import net.poolsa.appliance.metrics.PoolsaMetrics;
import net.poolsa.appliance.metrics.StatusReport;
import net.poolsa.appliance.state.SequenceStore;
import net.poolsa.appliance.state.StateException;
import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.transform.SaTransformContext;
import net.poolsa.ike.IkeConnection;

/**
 * One running poolsa: kernel (SAD/SPD), connections, metrics endpoint and data path, with reload and an
 * orderly shutdown. Shutdown order matters: the endpoint reports unhealthy first, the data path stops and
 * removes its diversion, then SAs are deleted (keys zeroed), the sequence-number state written and the kernel
 * flushed, so no packet is ever sent in the clear and no key outlives the process.
 *
 * <p>Key material read from the configuration is wiped as soon as the SAs hold their own copies (after every
 * start and reload); the SAs' copies are wiped when they are removed. Manually keyed SAs keep their sequence
 * numbers and replay-window tops in the {@link SequenceStore} of the state directory (RFC 4303 §3.3.3).
 *
 * <p>IKE-keyed connections go to {@link IkeKeying}: the IKE daemon starts after the data path (bound on the uplink
 * addresses in those connections' local outer pools), takes the connections (with its own copies of the pre-shared
 * keys, made before the configuration's are wiped) on start and on every reload, receives the data plane's acquires,
 * and is closed (Deletes sent to the peers) before the SAs are removed and the kernel is flushed.
 */
public final class Appliance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Appliance.class);

    private final Path configFile;
    private final IpsecKernel kernel = new UserspaceIpsecKernel();
    private final SequenceStore store;
    private final ConnectionManager manager;
    private final PoolsaMetrics metrics;
    private final IkeKeying ike;
    private final IkeEventLog ikeEvents;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "poolsa-lifetimes");
        t.setDaemon(true);
        return t;
    });
    private volatile PoolsaConfig config;
    private volatile boolean running;
    private MetricsServer server;
    private ControlServer control;
    private DataPath dataPath;
    private boolean closed;

    private Appliance(PoolsaConfig config, String version, SequenceStore store, IkeDaemon.Factory ikeFactory) {
        this.configFile = config.source();
        this.config = config;
        this.store = store;
        this.manager = new ConnectionManager(new ManualKeying(kernel, store));
        this.metrics = new PoolsaMetrics(manager, kernel, version);
        this.ikeEvents = new IkeEventLog(metrics.ike());
        this.ike = new IkeKeying(ikeFactory, kernel, ikeEvents);
    }

    /**
     * As {@link #start(PoolsaConfig, DataPathProvider, String, Path, Path)} without a control socket and without a
     * state directory: manual SAs start their sequence numbers at 1 and keep no replay state across runs. For tests
     * that never put SAs on the wire; {@code poolsa run} always gives a state directory.
     */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version) throws StartupException {
        return start(config, provider, version, null, null);
    }

    /** As {@link #start(PoolsaConfig, DataPathProvider, String, Path, Path)} without a state directory (tests). */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version, Path controlSocket)
            throws StartupException {
        return start(config, provider, version, controlSocket, null);
    }

    /**
     * Installs the configured connections, opens the metrics endpoint and starts the data path, serving the control
     * socket at {@code controlSocket} (null: none). The state directory and the socket open first, so a second
     * instance is refused before it touches SAs or the host.
     *
     * @param stateDir where manually keyed SAs keep their sequence numbers (created if missing), or null for none
     * @throws StartupException when the state directory or the socket cannot be used, the endpoint cannot bind or
     *                          the data path cannot start; everything started so far is undone
     */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version, Path controlSocket,
                                  Path stateDir) throws StartupException {
        return start(config, provider, version, controlSocket, stateDir, EngineDaemon.FACTORY);
    }

    /** As {@link #start(PoolsaConfig, DataPathProvider, String, Path, Path)} with the IKE daemon from {@code ikeFactory}. */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version, Path controlSocket,
                                  Path stateDir, IkeDaemon.Factory ikeFactory) throws StartupException {
        SequenceStore store = null;
        if (stateDir != null) {
            try {
                store = SequenceStore.open(stateDir);
            } catch (StateException e) {
                config.connections().values().forEach(ConnectionConfig::destroyKeys);
                throw new StartupException(e.getMessage(), e);
            }
        }
        Appliance a = new Appliance(config, version, store, ikeFactory);
        List<IkeConnection> ikeConnections = List.of();
        try {
            if (controlSocket != null) {
                try {
                    a.control = ControlServer.start(controlSocket, new ApplianceControl(a.manager, a.ike));
                } catch (IOException e) {
                    throw new StartupException("control socket: " + e.getMessage(), e);
                }
            }
            a.kernel.setListener(new KernelListener() {
                @Override
                public void expired(SecurityAssociation sa, boolean hard) {
                    LOG.info("event=sa_expired spi={} direction={} reqid={} hard={}", sa.spiHex(),
                            sa.direction().name().toLowerCase(), sa.reqid(), hard);
                    ConnectionConfig c = a.manager.byReqid(sa.reqid() & IkeConnection.MAX_REQID);
                    if (c != null && !c.manuallyKeyed()) {
                        a.ike.expired(c.name(), sa, hard);
                    }
                }

                @Override
                public void acquire(InstalledPolicy policy) {
                    a.ike.acquire(policy);
                }
            });
            try {
                a.manager.apply(config.connections(), System.nanoTime());
                ikeConnections = IkeConnections.forEngine(config, a.manager); // their own key copies, before the wipe
            } catch (RuntimeException e) {
                // A connection the data path cannot use, or a reservation the state directory did not take.
                throw new StartupException("cannot install the configured connections: " + e.getMessage(), e);
            } finally {
                wipeKeys(config);
            }
            if (store != null) {
                store.removeStale();
                store.start();
            }
            a.metrics.syncConnections();
            try {
                a.server = new MetricsServer(config.metrics().listen(), a.metrics, () -> a.running,
                        () -> StatusReport.text(a.manager, a.ike.statusNow(), System.nanoTime()),
                        () -> StatusReport.json(a.manager, a.ike.statusNow(), System.nanoTime()));
            } catch (IOException e) {
                throw new StartupException("cannot listen on " + config.metrics().listen() + " for metrics: " + e.getMessage(), e);
            }
            try {
                a.dataPath = provider.start(new DataPathContext(config.dataPath(), a.kernel, a.metrics.drops(),
                        a.metrics.dataPath(), config.connections().values()));
            } catch (Exception e) {
                throw new StartupException("data path '" + provider.name() + "' did not start: " + e.getMessage(), e);
            }
            // DPD answers are the path monitor's evidence for IKE-keyed peers; its probes ask IKE for DPD probes
            DataPath dp = a.dataPath;
            a.ikeEvents.pathEvidence((local, remote) -> dp.pathConfirmed(OuterAddress.of(local), OuterAddress.of(remote)));
            IkeKeying keying = a.ike;
            dp.authenticatedProbes((local, remote) -> keying.probePath(local.address(), remote.address()));
            try {
                List<IkeConnection> handed = ikeConnections;
                ikeConnections = List.of();
                a.ike.apply(config.dataPath(), config.ike(), handed);
            } catch (IOException e) {
                throw new StartupException("IKE: cannot open UDP ports 500/4500: " + e.getMessage() + bindHint(e.getMessage()), e);
            } catch (IkeKeying.IkeConfigureException e) {
                throw new StartupException("IKE: " + e.getMessage(), e);
            }
            a.timer.scheduleAtFixedRate(() -> a.kernel.expireTick(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
            a.running = true;
            LOG.info("event=started connections={} ike_connections={} metrics={} data_path={} control_socket={}",
                    config.connections().size(), IkeConnections.ikeKeyed(config.connections().values()).size(),
                    a.server.address(), provider.name(), controlSocket == null ? "none" : a.control.path());
            return a;
        } catch (StartupException | RuntimeException e) {
            ikeConnections.forEach(IkeConnection::wipe); // never handed to the engine
            a.close();
            throw e;
        }
    }

    /**
     * Reads the configuration file again and applies the connection diff, then hands the connections to the
     * data path ({@link DataPath#update}: peers to probe, diverted pools, inbound-policy rules, outer addresses of
     * new SAs); a file that does not validate changes nothing. Data-path settings need a restart: a change
     * there is logged, not applied.
     *
     * @return the diff applied, or null when the new file was refused or the data path could not follow it
     */
    public synchronized ConnectionDiff reload() {
        PoolsaConfig next;
        try {
            next = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            metrics.reloaded(false);
            LOG.error("event=reload_refused error=\"{}\"", e.getMessage());
            return null;
        }
        if (!next.dataPath().equals(config.dataPath()) || !next.metrics().equals(config.metrics())) {
            LOG.warn("event=reload_partial reason=\"data-path or metrics settings changed; restart to apply them\"");
        }
        try {
            ConnectionDiff d;
            List<IkeConnection> ikeNext;
            try {
                d = manager.apply(next.connections(), System.nanoTime());
                ikeNext = IkeConnections.forEngine(next, manager); // the engine's own key copies, before the wipe
            } finally {
                // Installed SAs hold their own copies; kept (unchanged) connections never needed these.
                wipeKeys(next);
            }
            if (store != null) {
                store.removeStale();
            }
            metrics.syncConnections();
            config = next;
            if (dataPath != null) {
                try {
                    dataPath.update(new DataPathContext(next.dataPath(), kernel, metrics.drops(), metrics.dataPath(),
                            next.connections().values()));
                } catch (RuntimeException e) {
                    ikeNext.forEach(IkeConnection::wipe);
                    metrics.reloaded(false);
                    LOG.error("event=reload_failed stage=data_path connections=applied error=\"{}\"", e.getMessage());
                    return null;
                }
            }
            try {
                // Changed IKE connections are renegotiated, unchanged ones keep their SAs (the engine compares).
                ike.apply(next.dataPath(), next.ike(), ikeNext);
            } catch (IOException | IkeKeying.IkeConfigureException e) {
                metrics.reloaded(false);
                LOG.error("event=reload_failed stage=ike connections=applied error=\"{}\"", e.getMessage());
                return null;
            }
            metrics.reloaded(true);
            LOG.info("event=reloaded added={} removed={} changed={} unchanged={}", d.added().size(),
                    d.removed().size(), d.changed().size(), d.unchanged().size());
            return d;
        } catch (RuntimeException e) {
            metrics.reloaded(false);
            LOG.error("event=reload_failed error=\"{}\"", e.getMessage());
            return null;
        }
    }

    public boolean running() {
        return running;
    }

    public IpsecKernel kernel() {
        return kernel;
    }

    public ConnectionManager connections() {
        return manager;
    }

    public PoolsaMetrics metrics() {
        return metrics;
    }

    public MetricsServer server() {
        return server;
    }

    /** The control socket, or null when started without one. */
    public ControlServer control() {
        return control;
    }

    /** Orderly shutdown; idempotent (a signal handler and the shutdown hook may both call it). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        if (control != null) {
            control.close(); // no commands while shutting down; removes the socket file
        }
        if (dataPath != null) {
            try {
                dataPath.stop();
                LOG.info("event=data_path_stopped diversion=removed");
            } catch (RuntimeException e) {
                LOG.error("event=data_path_stop_failed error=\"{}\"", e.getMessage());
            }
        }
        List<SecurityAssociation> sas = kernel.listSas(); // IKE's too: checked for zeroed keys below
        // Deletes to the IKE peers while the SAs they name still exist; manual SAs have no peer to notify.
        ike.close();
        manager.removeAll();
        kernel.flush();
        if (store != null) {
            store.close(); // after the SAs died: the counters it writes are final
        }
        timer.shutdownNow();
        if (server != null) {
            server.close();
        }
        metrics.close();
        wipeKeys(config);
        List<String> left = keysLeft(config, sas);
        if (ike.keysLeft()) {
            left.add("IKE engine (its shutdown did not complete: pre-shared key copies, IKE SA keys)");
        }
        if (left.isEmpty()) {
            LOG.info("event=stopped keys=zeroed");
        } else {
            LOG.error("event=stopped keys=not_zeroed left=\"{}\"", String.join(", ", left));
        }
    }

    private static void wipeKeys(PoolsaConfig c) {
        c.connections().values().forEach(ConnectionConfig::destroyKeys);
    }

    /**
     * What still holds key material after shutdown, by name only: configuration secrets not wiped, SAs whose keys
     * or transform context (key copies, cipher key schedules) were not destroyed. Empty when everything is zeroed.
     */
    static List<String> keysLeft(PoolsaConfig c, List<SecurityAssociation> sas) {
        List<String> left = new ArrayList<>();
        for (ConnectionConfig cc : c.connections().values()) {
            if (!cc.keysDestroyed()) {
                left.add("configuration of " + cc.name());
            }
        }
        for (SecurityAssociation sa : sas) {
            Object ctx = sa.transformContext();
            if (!sa.keys().isDestroyed() || (ctx instanceof SaTransformContext t && !t.closed())) {
                left.add("SA " + sa.spiHex());
            }
        }
        return left;
    }

    /** The appliance could not start; the message says why, for the operator. */
    /** What to do about the socket errors of IKE's ports that an operator meets, appended to the startup failure. */
    static String bindHint(String error) {
        String e = String.valueOf(error);
        if (e.contains("Address already in use")) {
            return " (another IKE daemon, such as strongSwan's charon, or another poolsa holds them on that address: "
                    + "stop it, or take the address out of the IKE connections' local-outer)";
        }
        if (e.contains("Permission denied")) {
            return " (ports below 1024 need CAP_NET_BIND_SERVICE: run as root, or under the packaged unit, which grants it)";
        }
        if (e.contains("CAP_NET_ADMIN is missing")) {
            return " (the IKE sockets carry the data plane's mark 0x5053 so that the divert routes them normally: run as "
                    + "root, or under the packaged unit, which grants CAP_NET_ADMIN)";
        }
        if (e.contains("Cannot assign requested address")) {
            return " (the address is on no interface of this host: bring the uplink up, or fix data-path.uplinks)";
        }
        return "";
    }

    public static final class StartupException extends Exception {
        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
