package net.poolsa.bench.ike;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEngine;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.StartAction;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.transport.IkeTransportConfig;

/**
 * Two poolsa IKE engines ({@link IkeEngine#start}: real UDP sockets on ports 500 and 4500, each engine on its own
 * event loop, child SAs installed into a {@link UserspaceIpsecKernel}, the data plane's SAD and SPD) in this JVM,
 * on loopback addresses of its own (127.x.y.0/24, x.y from the PID; the initiator holds one per tunnel, see
 * {@link Tunnels}), so every packet stays on loopback.
 * The initiator forces NAT-T, as strongSwan's kernel-libipsec does on this kernel, so both products float to UDP/4500
 * and negotiate ESP-in-UDP. CPU time is this process's (both engines, the driver, the JIT and the GC).
 */
final class PoolsaPair extends SetupPair {
    private final IkeEngine initiator;
    private final IkeEngine responder;
    /** The two engines' event-loop threads, seen in their events. */
    private final Set<Thread> loops = ConcurrentHashMap.newKeySet();

    private PoolsaPair(IkeEngine initiator, IkeEngine responder) {
        this.initiator = initiator;
        this.responder = responder;
    }

    /**
     * Starts both engines with {@code n} tunnel connections each (needs root: port 500); {@code pki} holds the
     * certificates of {@code auth} (null for a pre-shared key); each engine has {@code cryptoThreads} crypto threads.
     */
    static PoolsaPair start(int n, DhGroup group, AuthMode auth, BenchPki pki, int cryptoThreads) throws Exception {
        long pid = ProcessHandle.current().pid();
        String net = "127." + ((pid >> 8) & 0xff) + "." + (pid & 0xff) + ".";
        List<InetAddress> a = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            a.add(InetAddress.getByName(Tunnels.initiatorHost(net, k)));
        }
        InetAddress b = InetAddress.getByName(Tunnels.responderHost(net));
        PoolsaPair[] self = new PoolsaPair[1];
        IkeEngine i = IkeEngine.start(IkeTransportConfig.standard(a), new UserspaceIpsecKernel(),
                events(self, true), IkeRandom.system(), cryptoThreads);
        IkeEngine r;
        try {
            r = IkeEngine.start(IkeTransportConfig.standard(List.of(b)), new UserspaceIpsecKernel(),
                    events(self, false), IkeRandom.system(), cryptoThreads);
        } catch (Exception e) {
            i.close();
            throw e;
        }
        PoolsaPair p = new PoolsaPair(i, r);
        self[0] = p;
        try {
            List<IkeConnection> ic = new ArrayList<>();
            List<IkeConnection> rc = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                String ia = Tunnels.initiatorHost(net, k);
                String ra = Tunnels.responderHost(net);
                ic.add(connection(k, ia, ra, Tunnels.left(k), Tunnels.right(k), group, auth, pki, true));
                rc.add(connection(k, ra, ia, Tunnels.right(k), Tunnels.left(k), group, auth, pki, false));
            }
            i.configure(ic).toCompletableFuture().get(30, TimeUnit.SECONDS);
            r.configure(rc).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** {@code encap}: the initiator's side, which forces NAT-T. */
    private static IkeConnection connection(int k, String localOuter, String remoteOuter, String localProtected,
                                            String remoteProtected, DhGroup group, AuthMode auth, BenchPki pki,
                                            boolean encap) throws Exception {
        AddressPool remote = AddressPool.parse(remoteOuter + "/32");
        AddressPool remoteNet = AddressPool.parse(remoteProtected);
        return new IkeConnection(Tunnels.name(k), k + 1, SaMode.TUNNEL, IpsecProtocol.ESP,
                AddressPool.parse(localOuter + "/32"), remote, AddressPool.parse(localProtected), remoteNet,
                List.of(group.ikeProposal()), List.of(group.espProposal()), auth.poolsaPsk(),
                Lifetime.ofSeconds(3000, 3600), 0, StartAction.NONE, encap, 64, false, List.of(),
                auth.poolsaCertificates(pki, encap, remote.union(remoteNet)));
    }

    /** Child SAs installed (either role) mark the tunnel up on that side; a failed Quick Mode voids the round. */
    private static IkeEvents events(PoolsaPair[] self, boolean initiatorSide) {
        return new IkeEvents() {
            @Override
            public void childSaInstalled(String connection, int spiIn, int spiOut) {
                if (self[0] != null) {
                    self[0].loops.add(Thread.currentThread());
                }
                Completions c = self[0] == null ? null : self[0].round;
                if (c != null) {
                    c.up(Tunnels.index(connection), initiatorSide, System.nanoTime());
                }
            }

            @Override
            public void exchange(String exchangeType, String result) {
                Completions c = self[0] == null ? null : self[0].round;
                if (c != null && !result.equals("ok")) {
                    c.failed((initiatorSide ? "initiator" : "responder") + ": " + exchangeType + " " + result);
                }
            }
        };
    }

    @Override
    String product() {
        return "poolsa";
    }

    @Override
    void initiate(int k) {
        Completions c = round;
        initiator.initiate(Tunnels.name(k)).whenComplete((r, e) -> {
            if (e != null) {
                c.failed("initiate " + Tunnels.name(k) + ": " + e);
            } else if (!r.ok()) {
                c.failed("initiate " + Tunnels.name(k) + ": " + r.message());
            }
        });
    }

    @Override
    long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * CPU time of the two engines' event-loop threads and their crypto pools' threads alone (no JIT, GC or driver),
     * -1 before the loops were seen.
     */
    @Override
    long engineCpuNanos() {
        if (loops.size() < 2) {
            return -1;
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : loops) {
            sum += mx.getThreadCpuTime(t.getId());
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(IkeEngine.CRYPTO_THREAD_PREFIX)) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getId()));
            }
        }
        return sum;
    }

    @Override
    void terminateAll(int n) throws Exception {
        round = null;
        for (int k = 0; k < n; k++) {
            initiator.terminate(Tunnels.name(k)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(initiator.snapshot().toCompletableFuture().get(10, TimeUnit.SECONDS).isEmpty()
                && responder.snapshot().toCompletableFuture().get(10, TimeUnit.SECONDS).isEmpty())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("poolsa: IKE SAs left 30 s after terminating them all: initiator "
                        + initiator.snapshot().toCompletableFuture().get(10, TimeUnit.SECONDS) + ", responder "
                        + responder.snapshot().toCompletableFuture().get(10, TimeUnit.SECONDS));
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        initiator.close();
        responder.close();
    }
}
