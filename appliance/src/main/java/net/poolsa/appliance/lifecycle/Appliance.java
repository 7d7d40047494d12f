package net.poolsa.appliance.lifecycle;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.appliance.config.ConfigException;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.config.PoolsaConfig;
import net.poolsa.appliance.control.ApplianceControl;
import net.poolsa.appliance.control.ControlServer;
import net.poolsa.appliance.ike.EngineDaemon;
import net.poolsa.appliance.ike.IkeDaemon;
import net.poolsa.appliance.ike.IkeEventLog;
import net.poolsa.appliance.ike.IkeKeying;
import net.poolsa.appliance.keying.ConnectionDiff;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.appliance.metrics.MetricsServer;
import net.poolsa.appliance.metrics.PoolsaMetrics;
import net.poolsa.appliance.metrics.StatusReport;
import net.poolsa.esp.kernel.KernelListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;

/**
 * One running poolsa: kernel (SAD/SPD), connections, metrics endpoint and data path, with reload and an
 * orderly shutdown. Shutdown order matters: the endpoint reports unhealthy first, the data path stops and
 * removes its diversion, then SAs are deleted (keys zeroed) and the kernel flushed, so no packet is ever
 * sent in the clear and no key outlives the process.
 *
 * <p>IKE-keyed connections go to {@link IkeKeying}: the IKE daemon starts after the data path (bound on the uplink
 * addresses in those connections' local outer pools), takes the connections on start and on every reload, receives
 * the data plane's acquires, and is closed (Deletes sent to the peers) before the SAs are removed and the kernel is
 * flushed.
 */
public final class Appliance implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Appliance.class);

    private final Path configFile;
    private final UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
    private final ConnectionManager manager = new ConnectionManager(new ManualKeying(kernel));
    private final PoolsaMetrics metrics;
    private final IkeKeying ike;
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

    private Appliance(PoolsaConfig config, String version, IkeDaemon.Factory ikeFactory) {
        this.configFile = config.source();
        this.config = config;
        this.metrics = new PoolsaMetrics(manager, kernel, version);
        this.ike = new IkeKeying(ikeFactory, kernel, new IkeEventLog(metrics.ike()));
    }

    /**
     * Installs the configured connections, opens the metrics endpoint and starts the data path.
     *
     * @throws StartupException when the endpoint cannot bind or the data path cannot start; everything
     *                          started so far is undone
     */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version) throws StartupException {
        return start(config, provider, version, null);
    }

    /**
     * As {@link #start(PoolsaConfig, DataPathProvider, String)}, serving the control socket at
     * {@code controlSocket} (null: none). The socket opens first, so a second instance is refused before it
     * touches SAs or the host.
     */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version, Path controlSocket)
            throws StartupException {
        return start(config, provider, version, controlSocket, EngineDaemon.FACTORY);
    }

    /** As {@link #start(PoolsaConfig, DataPathProvider, String, Path)} with the IKE daemon from {@code ikeFactory}. */
    public static Appliance start(PoolsaConfig config, DataPathProvider provider, String version, Path controlSocket,
                                  IkeDaemon.Factory ikeFactory) throws StartupException {
        Appliance a = new Appliance(config, version, ikeFactory);
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
                }

                @Override
                public void acquire(InstalledPolicy policy) {
                    a.ike.acquire(policy);
                }
            });
            a.manager.apply(config.connections(), System.nanoTime());
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
            List<String> ikeConnections;
            try {
                ikeConnections = a.ike.apply(config, a.manager);
            } catch (IOException e) {
                throw new StartupException("IKE: cannot open UDP ports 500/4500: " + e.getMessage(), e);
            } catch (IkeKeying.IkeConfigureException e) {
                throw new StartupException("IKE: " + e.getMessage(), e);
            }
            a.timer.scheduleAtFixedRate(() -> a.kernel.expireTick(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
            a.running = true;
            LOG.info("event=started connections={} ike_connections={} metrics={} data_path={} control_socket={}",
                    config.connections().size(), ikeConnections.size(), a.server.address(), provider.name(),
                    controlSocket == null ? "none" : a.control.path());
            return a;
        } catch (StartupException | RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /**
     * Reads the configuration file again and applies the connection diff; a file that does not validate
     * changes nothing. Data-path settings need a restart: a change there is logged, not applied.
     *
     * @return the diff applied, or null when the new file was refused
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
            ConnectionDiff d = manager.apply(next.connections(), System.nanoTime());
            metrics.syncConnections();
            config = next;
            try {
                // Changed IKE connections are renegotiated, unchanged ones keep their SAs (the engine compares).
                ike.apply(next, manager);
            } catch (IOException | IkeKeying.IkeConfigureException e) {
                metrics.reloaded(false);
                LOG.error("event=reload_failed part=ike error=\"{}\"", e.getMessage());
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

    public UserspaceIpsecKernel kernel() {
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
        // Deletes to the IKE peers while the SAs they name still exist; manual SAs have no peer to notify.
        ike.close();
        manager.removeAll();
        kernel.flush();
        timer.shutdownNow();
        if (server != null) {
            server.close();
        }
        metrics.close();
        LOG.info("event=stopped keys=zeroed");
    }

    /** The appliance could not start; the message says why, for the operator. */
    public static final class StartupException extends Exception {
        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
