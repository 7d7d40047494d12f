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
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.transform.SaTransformContext;

/**
 * One running poolsa: kernel (SAD/SPD), connections, metrics endpoint and data path, with reload and an
 * orderly shutdown. Shutdown order matters: the endpoint reports unhealthy first, the data path stops and
 * removes its diversion, then SAs are deleted (keys zeroed), the sequence-number state written and the kernel
 * flushed, so no packet is ever sent in the clear and no key outlives the process.
 *
 * <p>Key material read from the configuration is wiped as soon as the SAs hold their own copies (after every
 * start and reload); the SAs' copies are wiped when they are removed. Manually keyed SAs keep their sequence
 * numbers and replay-window tops in the {@link SequenceStore} of the state directory (RFC 4303 §3.3.3).
 */
public final class Appliance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Appliance.class);

    private final Path configFile;
    private final IpsecKernel kernel = new UserspaceIpsecKernel();
    private final SequenceStore store;
    private final ConnectionManager manager;
    private final PoolsaMetrics metrics;
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

    private Appliance(PoolsaConfig config, String version, SequenceStore store) {
        this.configFile = config.source();
        this.config = config;
        this.store = store;
        this.manager = new ConnectionManager(new ManualKeying(kernel, store));
        this.metrics = new PoolsaMetrics(manager, kernel, version);
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
        SequenceStore store = null;
        if (stateDir != null) {
            try {
                store = SequenceStore.open(stateDir);
            } catch (StateException e) {
                config.connections().values().forEach(ConnectionConfig::destroyKeys);
                throw new StartupException(e.getMessage(), e);
            }
        }
        Appliance a = new Appliance(config, version, store);
        try {
            if (controlSocket != null) {
                try {
                    // IKE connections get an IkeControl here once IKE exists; until then they are refused at start.
                    a.control = ControlServer.start(controlSocket, new ApplianceControl(a.manager, null));
                } catch (IOException e) {
                    throw new StartupException("control socket: " + e.getMessage(), e);
                }
            }
            a.kernel.setListener(new KernelListener() {
                @Override
                public void expired(SecurityAssociation sa, boolean hard) {
                    LOG.info("event=sa_expired spi={} direction={} reqid={} hard={}", sa.spiHex(),
                            sa.direction().name().toLowerCase(), sa.reqid(), hard);
                }
            });
            try {
                a.manager.apply(config.connections(), System.nanoTime());
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
                        () -> StatusReport.text(a.manager, System.nanoTime()),
                        () -> StatusReport.json(a.manager, System.nanoTime()));
            } catch (IOException e) {
                throw new StartupException("cannot listen on " + config.metrics().listen() + " for metrics: " + e.getMessage(), e);
            }
            try {
                a.dataPath = provider.start(new DataPathContext(config.dataPath(), a.kernel, a.metrics.drops(),
                        a.metrics.dataPath(), config.connections().values()));
            } catch (Exception e) {
                throw new StartupException("data path '" + provider.name() + "' did not start: " + e.getMessage(), e);
            }
            a.timer.scheduleAtFixedRate(() -> a.kernel.expireTick(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
            a.running = true;
            LOG.info("event=started connections={} metrics={} data_path={} control_socket={}", config.connections().size(),
                    a.server.address(), provider.name(), controlSocket == null ? "none" : a.control.path());
            return a;
        } catch (StartupException | RuntimeException e) {
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
            for (ConnectionConfig c : next.connections().values()) {
                if (!c.manuallyKeyed()) {
                    wipeKeys(next);
                    throw new ConfigException(configFile, 0, "connections." + c.name() + ".authentication",
                            "IKE keying is not available in this build; use manual SAs");
                }
            }
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
            try {
                d = manager.apply(next.connections(), System.nanoTime());
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
                    metrics.reloaded(false);
                    LOG.error("event=reload_failed stage=data_path connections=applied error=\"{}\"", e.getMessage());
                    return null;
                }
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
        // IKE Delete notifications go here once IKE exists; manual SAs have no peer to notify.
        List<SecurityAssociation> sas = kernel.listSas();
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
    public static final class StartupException extends Exception {
        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
