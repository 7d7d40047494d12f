package net.poolsa.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.exchange.IkeCore;
import net.poolsa.ike.exchange.IkeNetwork;
import net.poolsa.ike.exchange.KeyExport;
import net.poolsa.ike.job.EventLoopScheduler;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.transport.IkeTransport;
import net.poolsa.ike.transport.IkeTransportConfig;
import net.poolsa.ike.transport.OutboundIkeDatagram;
import net.poolsa.ike.transport.OutboundNatKeepalive;
import net.poolsa.ike.transport.PortRole;
import net.poolsa.ike.transport.TransportDropReason;
import net.poolsa.ike.transport.TransportEvents;

/**
 * The IKEv1 daemon: owns the {@link IkeTransport} (UDP 500/4500 on the given local addresses) and all IKE state,
 * confined to the transport's one event loop. Every public method is thread-safe: it hops onto the loop.
 *
 * <p>Main Mode with pre-shared keys and Quick Mode (RFC 2409), NAT traversal (RFC 3947/3948), pools in the
 * Identification payloads (RFC 3554 ID_LIST) and each side's outer pool announced inside the encrypted exchange
 * (docs/ikev1-pools.md), AH+ESP bundles (docs/ikev1-pools.md §3). Child SAs are installed through the
 * {@link IpsecKernel}.
 *
 * <p>The Diffie-Hellman key pairs and agreements and the signatures (made and checked) of the exchanges run on a pool of worker threads (one per core by
 * default), so that concurrent setups use every core; the exchange continues on the loop when the result is ready.
 *
 * <p>Test only: with the system property {@value KeyExport#PROPERTY} set, the IKE and ESP keys are written in
 * tshark's formats ({@link KeyExport}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409">RFC 2409</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554">RFC 3554</a>
 */
public final class IkeEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IkeEngine.class);
    /** The names of the crypto pool's threads start with this (a thread dump, a profile tell them apart). */
    public static final String CRYPTO_THREAD_PREFIX = "poolsa-ike-crypto-";
    /** How long {@link #close()} waits for the Deletes to go out. */
    static final long CLOSE_WAIT_MILLIS = 3000;

    private final IkeTransport transport;
    private final Scheduler scheduler;
    private final IkeCore core;
    private final ExecutorService crypto;
    private volatile boolean closed;

    IkeEngine(IkeTransport transport, Scheduler scheduler, IkeCore core) {
        this(transport, scheduler, core, null);
    }

    private IkeEngine(IkeTransport transport, Scheduler scheduler, IkeCore core, ExecutorService crypto) {
        this.transport = transport;
        this.scheduler = scheduler;
        this.core = core;
        this.crypto = crypto;
    }

    /**
     * The default size of the crypto pool: one thread per core, so that concurrent setups of one engine use every
     * core while its event loop keeps the state.
     */
    public static int defaultCryptoThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Binds the IKE sockets and starts the engine with no connections ({@link #configure} adds them); its
     * Diffie-Hellman and signature work runs on {@link #defaultCryptoThreads()} worker threads.
     */
    public static IkeEngine start(IkeTransportConfig transport, IpsecKernel kernel, IkeEvents events, IkeRandom random)
            throws IOException {
        return start(transport, kernel, events, random, defaultCryptoThreads());
    }

    /**
     * As {@link #start(IkeTransportConfig, IpsecKernel, IkeEvents, IkeRandom)}, with the Diffie-Hellman key pairs and
     * agreements and the signatures of the exchanges on {@code cryptoThreads} worker threads (0: on the event loop itself). Only the
     * computation leaves the loop; {@code random} must be safe to draw from on those threads.
     */
    public static IkeEngine start(IkeTransportConfig transport, IpsecKernel kernel, IkeEvents events, IkeRandom random,
                                  int cryptoThreads) throws IOException {
        return start(transport, kernel, events, random, Timers.DEFAULT, cryptoThreads);
    }

    static IkeEngine start(IkeTransportConfig config, IpsecKernel kernel, IkeEvents events, IkeRandom random,
                           Timers timers) throws IOException {
        return start(config, kernel, events, random, timers, defaultCryptoThreads());
    }

    static IkeEngine start(IkeTransportConfig config, IpsecKernel kernel, IkeEvents events, IkeRandom random,
                           Timers timers, int cryptoThreads) throws IOException {
        if (cryptoThreads < 0) {
            throw new IllegalArgumentException("crypto threads " + cryptoThreads + " < 0");
        }
        AtomicReference<IkeCore> ref = new AtomicReference<>();
        IkeTransport t = IkeTransport.start(config, d -> {
            IkeCore c = ref.get();
            if (c != null) {
                c.received(d);
            }
        }, transportEvents(events));
        ExecutorService crypto = cryptoThreads == 0 ? null : cryptoPool(cryptoThreads);
        IkeCore core = new IkeCore(new TransportNetwork(t, config), new EventLoopScheduler(t.eventLoop()), random,
                kernel, events, timers, KeyExport.fromSystemProperty(), crypto);
        ref.set(core);
        return new IkeEngine(t, new EventLoopScheduler(t.eventLoop()), core, crypto);
    }

    /**
     * {@code n} daemon threads; the queue is not bounded here because what may wait in it is: a computation is
     * started only for a half-open SA whose initiator returned our cookie, or an SA that is established, and both
     * are capped by the SA table ({@link net.poolsa.ike.sa.IkeSaTable}).
     */
    private static ExecutorService cryptoPool(int n) {
        AtomicInteger count = new AtomicInteger();
        return Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, CRYPTO_THREAD_PREFIX + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** An engine on another network and clock (tests wire two back to back); {@link #close()} closes no transport. */
    static IkeEngine create(IkeNetwork network, Scheduler scheduler, IpsecKernel kernel, IkeEvents events,
                            IkeRandom random, Timers timers) {
        return create(network, scheduler, kernel, events, random, timers, null);
    }

    /** As above, with the Diffie-Hellman and signature work on {@code crypto} (null: on the scheduler's thread). */
    static IkeEngine create(IkeNetwork network, Scheduler scheduler, IpsecKernel kernel, IkeEvents events,
                            IkeRandom random, Timers timers, Executor crypto) {
        return new IkeEngine(null, scheduler, new IkeCore(network, scheduler, random, kernel, events, timers,
                KeyExport.fromSystemProperty(), crypto));
    }

    IkeCore core() {
        return core;
    }

    /**
     * Reload: added connections are set up (START negotiates now), removed ones are deleted (Delete sent, SAs
     * removed), changed ones are renegotiated, unchanged ones keep their IKE and IPsec SAs.
     */
    public CompletionStage<Void> configure(Collection<IkeConnection> connections) {
        List<IkeConnection> copy = List.copyOf(connections);
        return onLoop(() -> {
            core.configure(copy);
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Main Mode (if no usable IKE SA) + Quick Mode(s); completes when the child SAs are installed or the attempt failed. */
    public CompletionStage<IkeResult> initiate(String connection) {
        return onLoop(() -> core.initiate(connection));
    }

    /** Deletes the connection's IPsec and IKE SAs, with Delete notifications to the peer. */
    public CompletionStage<IkeResult> terminate(String connection) {
        return onLoop(() -> CompletableFuture.completedFuture(core.terminate(connection)));
    }

    public CompletionStage<List<IkeSaSnapshot>> snapshot() {
        return onLoop(() -> CompletableFuture.completedFuture(core.snapshot()));
    }

    /** From the data plane's KernelListener (any thread): a PROTECT policy without SA was hit; TRAP connections negotiate. */
    public void acquire(InstalledPolicy policy) {
        int reqid = policy.policy().reqid();
        if (!closed) {
            scheduler.execute(() -> core.acquire(reqid));
        }
    }

    /**
     * From the data plane's KernelListener (any thread): SA {@code sa} crossed its soft limit (the pair is rekeyed
     * now, make-before-break) or its hard one (already removed: the pair goes, the peer is told, and the selectors
     * are negotiated again unless a newer pair carries them).
     */
    public void expired(SecurityAssociation sa, boolean hard) {
        Direction d = sa.direction();
        int spi = sa.spi();
        IpsecProtocol p = sa.protocol();
        if (!closed) {
            scheduler.execute(() -> core.expired(d, spi, p, hard));
        }
    }

    /**
     * From the data plane's path monitor (any thread): send a DPD R-U-THERE over the path from {@code local} to
     * {@code remote} now, if an established IKE SA with DPD has it; its answer comes back as
     * {@link IkeEvents#pathConfirmed}.
     */
    public void probePath(InetAddress local, InetAddress remote) {
        if (!closed) {
            scheduler.execute(() -> core.probePath(local, remote));
        }
    }

    /**
     * How often an IKE SA that found itself behind a NAT sends a NAT-keepalive (RFC 3948 §2.3) to its peer's NAT-T
     * endpoint, in milliseconds; 0 sends none. Applies at once to the established IKE SAs (their next keepalive comes
     * one new interval from now) and to every later one. The default is {@link IkeCore#DEFAULT_NAT_KEEPALIVE_MILLIS}
     * (strongSwan's {@code charon.keep_alive}).
     */
    public CompletionStage<Void> natKeepalive(long intervalMillis) {
        if (intervalMillis < 0) {
            throw new IllegalArgumentException("NAT-keepalive interval " + intervalMillis + " ms < 0");
        }
        return onLoop(() -> {
            core.natKeepaliveInterval(intervalMillis);
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Set on the loop once {@link #close()}'s shutdown wiped every key; false while it could not complete. */
    private volatile boolean keysWiped;

    /**
     * Whether {@link #close()} wiped the pre-shared key copies and ISAKMP SA keys: false before, and after a close whose
     * shutdown did not run within {@link #CLOSE_WAIT_MILLIS} (a busy loop), so that nobody says keys were zeroed then.
     */
    public boolean keysWiped() {
        return keysWiped;
    }

    /** Sends Deletes for every established SA (best effort, bounded wait), removes the SAs it installed, closes the transport. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            scheduler.execute(() -> {
                try {
                    core.shutdown();
                    keysWiped = true;
                } finally {
                    done.complete(null);
                }
            });
            done.get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("event=ike_shutdown_incomplete error=\"{}\"", e.toString());
        } finally {
            if (transport != null) {
                transport.close();
            }
            if (crypto != null) {
                crypto.shutdownNow(); // a result that comes back now finds no loop and is wiped (Offload)
            }
        }
    }

    private <T> CompletionStage<T> onLoop(Supplier<CompletionStage<T>> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IllegalStateException("the IKE engine is closed"));
            return f;
        }
        scheduler.execute(() -> {
            try {
                task.get().whenComplete((v, e) -> {
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        f.complete(v);
                    }
                });
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private static TransportEvents transportEvents(IkeEvents events) {
        return new TransportEvents() {
            @Override
            public void dropped(PortRole role, TransportDropReason reason) {
                events.dropped(reason.label());
            }

            @Override
            public void keepalive() {
                events.natKeepalive(IkeEvents.KEEPALIVE_RECEIVED);
            }

            @Override
            public void keepaliveSent() {
                events.natKeepalive(IkeEvents.KEEPALIVE_SENT);
            }
        };
    }

    /** The production network: the transport's sockets; peers listen on the ports we do (500 and 4500). */
    private record TransportNetwork(IkeTransport transport, IkeTransportConfig config) implements IkeNetwork {
        @Override
        public void send(OutboundIkeDatagram datagram) {
            transport.send(datagram);
        }

        @Override
        public void sendExpendable(OutboundIkeDatagram datagram) {
            transport.sendExpendable(datagram);
        }

        @Override
        public void sendNatKeepalive(OutboundNatKeepalive keepalive) {
            transport.sendNatKeepalive(keepalive);
        }

        @Override
        public InetSocketAddress local(InetAddress address, PortRole role) {
            try {
                return transport.boundAddress(address, role);
            } catch (IllegalArgumentException notBound) {
                return null;
            }
        }

        @Override
        public List<InetSocketAddress> locals(PortRole role) {
            return transport.boundAddresses(role);
        }

        @Override
        public int peerPort(PortRole role) {
            return config.port(role) == 0 ? role.standardPort() : config.port(role);
        }
    }
}
