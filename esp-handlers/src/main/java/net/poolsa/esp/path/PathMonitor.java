package net.poolsa.esp.path;

import static net.poolsa.esp.path.PathPair.NEVER;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.PathState;
import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.SwitchHold;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Path monitoring and outer-address failover between pools (the paper's §3: the pool at the outer level). A path is
 * one pair of outer addresses, ours and the peer's; an outbound SA uses one path of its pools at a time and moves to
 * another one without a new SA (same SPI, same keys, no IKE: {@link SecurityAssociation#setCurrentPath}) when:
 * <ul>
 * <li>{@link PathSwitchCause#LOCAL_EVENT}: the kernel reports that the link or address carrying its local address
 *     went away ({@link #localChanged}, fed by rtnetlink): in the same event-loop turn, to a live path of its pools;</li>
 * <li>{@link PathSwitchCause#PROBE_TIMEOUT}: its path gave no evidence for the detection time ({@link PathTimers});</li>
 * <li>{@link PathSwitchCause#PEER_MOVED}: the newest authenticated packet of its connection (ICV and replay checks
 *     passed, highest sequence number so far) arrived over another monitored path of its pools: the outbound direction
 *     follows at once, as WireGuard's roaming does, so a failure detected at one end repairs both directions.
 *     Unauthenticated packets (probe replies included) never move an SA;</li>
 * <li>{@link PathSwitchCause#SWITCH_BACK}: a more preferred path has been up for the hysteresis time;</li>
 * <li>{@link PathSwitchCause#PLACEMENT}: at startup, placement follows the preference order without hysteresis: a more
 *     preferred path that answers for the first time within the placement window ({@link #placing}) takes the SA at
 *     once, and an SA whose path never worked goes to the first path that answers. Hysteresis is for paths that
 *     failed.</li>
 * </ul>
 * Peer-moved and switch-back moves are limited per SA (a token bucket); both holds are reported
 * ({@link DataPathListener#outerPathHeld}). An SA that followed its peer leaves switching back to the peer, and an SA
 * that moved on its own does not follow the peer back to the path it left until the peer had time to see the move
 * ({@link #PEER_SHIELD_MIN_NANOS}), so the two ends do not take turns. When both ends move on their own at once (to
 * different paths), one of them, chosen from the pools ({@link #stands}), keeps its path and the other follows it.
 *
 * <p><b>Evidence</b> that a path works: an authenticated inbound packet over it, a reply to our probe over it, or an
 * authenticated IKE answer ({@link #confirmed}, for DPD). For peers keyed by IKE with DPD
 * ({@link #authenticatedOnly}) a probe reply is only a hint: each probe also asks for a DPD probe, whose answer is the
 * evidence, and a reply asks for one only when none was asked for within the path's probe interval. A path becomes UP with its first evidence (a link that
 * comes back is probed before it is used) and DOWN after its detection time without any: BFD's detection time
 * (RFC 5880 §6.8.4) with the busy interval while its SAs send without getting evidence back, the idle interval
 * otherwise. Probes are ICMP/ICMPv6 echo requests, one per path however many SAs use it, within a global rate.
 * A tick that runs much later than it was due (the event loop itself stalled) judges no path: the evidence missed
 * meanwhile was never asked for or never read, so every detection window restarts then ({@link #stalls}).
 *
 * <p><b>Replies cannot be forged off-path.</b> Each probe carries, as its 8 data bytes, a fresh value from a
 * {@link SecureRandom}; an echo reply (which returns the data unchanged, RFC 792 / RFC 4443 §4.2) counts only
 * when it comes from the address that probe went to, is addressed to the address it left from, returns the
 * value of one of that path's last {@link PathPair#OUTSTANDING} probes, and that value was not answered before.
 * (The identifier {@link #ECHO_ID} only tells our replies from those to other pings.)
 *
 * <p><b>No copy of the SAD.</b> Outbound SAs are indexed by the path they use and by reqid, kept current from the
 * SAD's install and remove notifications ({@link #watch}); a tick touches paths, not SAs (except the SAs' packet
 * counters once per busy interval, to see which paths carry traffic).
 *
 * <p>Confined to the data plane's event loop: evidence comes from its channels, {@link #tick} from its timer, local
 * events and SAD changes are handed to it. The evidence path (per packet) allocates nothing and takes no lock.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5880#section-6.8.4">RFC 5880 §6.8.4 (BFD detection time)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4555">RFC 4555 (MOBIKE) for the IKEv2 way of moving an SA</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc792">RFC 792 (echo)</a>
 */
public final class PathMonitor implements PathEvidence {
    /** Identifier of our echo requests (RFC 792): replies with another identifier are not ours. */
    public static final int ECHO_ID = 0x5053;
    /** Probes per path whose reply is still taken. */
    public static final int OUTSTANDING = PathPair.OUTSTANDING;
    /**
     * After an SA left a path on its own decision, the peer's packets over that path are not followed for twice the
     * detection time, at least this long, unless the peer is seen on the new path first: packets it sent before it saw
     * the move are still arriving there, and following them would make both ends take turns.
     */
    static final long PEER_SHIELD_MIN_NANOS = 1_000_000_000L;

    /** One path as status output shows it. */
    public record Path(OuterAddress local, OuterAddress remote, PathState state, boolean localUsable, int sas) {
    }

    private final List<PathPair.Uplink> uplinks = new ArrayList<>();
    private final PathTimers timers;
    private final long busyNanos;
    private final long idleNanos;
    private final long switchBackNanos;
    private final long switchWindowNanos;
    private final long switchCostNanos;
    private final long probeCostNanos;
    private final long probeBurstNanos;
    private final long peerShieldNanos;
    private final long placementWindowNanos;
    private final Consumer<ByteBuf> probeSink;
    private final ByteBufAllocator alloc;
    private final DataPathListener listener;
    private final RandomGenerator random;
    private final PathIndex index = new PathIndex();
    private final Map<SecurityAssociation, SaEntry> entries = new IdentityHashMap<>();
    private List<PathPair> pairs = List.of();
    private List<OuterAddress> peers = List.of();
    private java.util.Set<OuterAddress> authenticatedOnly = java.util.Set.of();
    private SaEntry[] displaced = new SaEntry[8];
    private int displacedCount;
    private long switchBackDue = NEVER;
    private long nextActivityCheck = NEVER;
    private long probeCredit = NEVER;
    private final long stallNanos;
    private long tickDue = NEVER;
    private long windowFrom = NEVER;
    private long stalls;
    private long probeCreditAt;
    private int sequence;
    private long probesSent;
    private int probeCursor;
    private volatile SecurityAssociationDatabase watched;
    private Consumer<SecurityAssociation> announcer = sa -> { };
    private List<Runnable> deferredReports; // while a local event moves SAs: their reports, made after all moved

    /**
     * @param locals    our uplink addresses (the local outer pool in use), in order of preference
     * @param peers     the peer's outer addresses to monitor, in order of preference
     * @param probeSink where probes go (the emitter; the caller flushes)
     */
    public PathMonitor(List<LocalAddress> locals, List<OuterAddress> peers, PathTimers timers, Consumer<ByteBuf> probeSink,
                       ByteBufAllocator alloc, DataPathListener listener) {
        this(locals, peers, timers, probeSink, alloc, listener, new SecureRandom());
    }

    /** @param random source of the probe values; a {@link SecureRandom} outside tests */
    public PathMonitor(List<LocalAddress> locals, List<OuterAddress> peers, PathTimers timers, Consumer<ByteBuf> probeSink,
                       ByteBufAllocator alloc, DataPathListener listener, RandomGenerator random) {
        for (LocalAddress l : locals) {
            if (uplinks.stream().noneMatch(u -> u.address.address().equals(l.address()))) {
                uplinks.add(new PathPair.Uplink(l));
            }
        }
        this.timers = timers;
        this.busyNanos = timers.probeInterval().toNanos();
        this.idleNanos = timers.idleProbeInterval().toNanos();
        this.switchBackNanos = timers.switchBackAfter().toNanos();
        this.switchWindowNanos = timers.switchLimitWindow().toNanos();
        this.switchCostNanos = switchWindowNanos / timers.switchLimit();
        this.probeCostNanos = 1_000_000_000L / timers.maxProbesPerSecond();
        this.probeBurstNanos = Math.max(probeCostNanos, 100_000_000L); // a tenth of a second's worth of probes at once
        this.peerShieldNanos = Math.max(PEER_SHIELD_MIN_NANOS, 2 * timers.detectionTime().toNanos());
        this.stallNanos = busyNanos * Math.max(1, timers.detectMultiplier() - 1);
        this.placementWindowNanos = timers.idleDetectionTime().toNanos();
        this.probeSink = probeSink;
        this.alloc = alloc;
        this.listener = listener;
        this.random = random;
        setPeers(peers);
    }

    public PathTimers timers() {
        return timers;
    }

    /**
     * Who tells the peer of a move of our own (local event, probe timeout, switch back), called with the outbound SA
     * right after it moved: the data plane sends an authenticated dummy packet on it over its new path, which the
     * peer follows at once ({@link PathSwitchCause#PEER_MOVED}) instead of after its own detection time. A move that
     * follows the peer announces nothing: the peer is there already. Set before the loop runs; called on the loop.
     */
    public void announceMovesWith(Consumer<SecurityAssociation> announcer) {
        this.announcer = announcer;
    }

    // ---------------------------------------------------------------- SAs

    /**
     * Follows {@code sad}: every SA installed or removed from now on is handed to {@code loop} (the thread that owns
     * this monitor), and the SAs installed already are indexed by a task submitted now. Replaces an earlier watch.
     */
    public void watch(SecurityAssociationDatabase sad, Executor loop) {
        unwatch();
        watched = sad;
        sad.setChangeObserver(new SecurityAssociationDatabase.ChangeObserver() {
            @Override
            public void installed(SecurityAssociation sa) {
                if (sa.direction() == Direction.OUTBOUND) {
                    loop.execute(() -> saInstalled(sa));
                }
            }

            @Override
            public void removed(SecurityAssociation sa) {
                if (sa.direction() == Direction.OUTBOUND) {
                    loop.execute(() -> saRemoved(sa));
                }
            }
        });
        // After the observer: an SA installed meanwhile is reported twice, which saInstalled ignores. The published
        // list, not snapshot(): the event loop never waits for a control-plane writer holding the SAD.
        loop.execute(() -> {
            for (SecurityAssociation sa : sad.outboundSas()) {
                if (sa.usable()) {
                    saInstalled(sa);
                }
            }
        });
    }

    /** Stops following the SAD given to {@link #watch}. */
    public void unwatch() {
        SecurityAssociationDatabase sad = watched;
        if (sad != null) {
            sad.setChangeObserver(null);
            watched = null;
        }
    }

    /**
     * Indexes an outbound SA (on the event loop). One without an outer path yet gets one at once: the path its
     * rekeyed sibling uses, else the most preferred path that is up, else the most preferred one whose uplink is
     * there; without it such an SA would drop every packet as NO_SA. One that comes with addresses keeps them.
     */
    public void saInstalled(SecurityAssociation sa) {
        if (sa.direction() != Direction.OUTBOUND || entries.containsKey(sa) || !sa.usable()) {
            return;
        }
        ReqidGroup g = index.groupFor(sa.reqid());
        g.stands = stands(sa);
        SaEntry e = new SaEntry(sa, g);
        e.candidates = candidates(sa);
        e.lastPackets = sa.packets();
        entries.put(sa, e);
        PathPair sibling = g.count > 0 ? g.out[g.count - 1].pair : null;
        g.add(e);
        refreshGroupPath(g);
        PathPair at = sa.currentRemote() == null ? null : pathOf(e, sa.currentLocal(), sa.currentRemote());
        if (at == null && sa.currentRemote() == null) {
            at = sibling != null && e.canUse(sibling) ? sibling : initialPath(e);
        }
        if (at != null) {
            place(e, at);
        }
    }

    /** Forgets a removed SA (on the event loop). */
    public void saRemoved(SecurityAssociation sa) {
        SaEntry e = entries.remove(sa);
        if (e == null) {
            return;
        }
        if (e.pair != null) {
            e.pair.remove(e);
            e.pair = null;
        }
        setDisplaced(e, false);
        e.group.remove(e);
        refreshGroupPath(e.group);
        if (e.group.count == 0) {
            index.removeGroup(e.group);
        }
    }

    /** The path an SA that arrives with addresses uses: the monitored pair of them, or with its local address unknown the best one to its remote. */
    private PathPair pathOf(SaEntry e, OuterAddress local, OuterAddress remote) {
        for (PathPair p : e.candidates) {
            if (p.remote.equals(remote) && (local == null || p.local.address.address().equals(local))) {
                return p;
            }
        }
        return null;
    }

    private PathPair initialPath(SaEntry e) {
        PathPair best = firstUp(e);
        if (best != null) {
            return best;
        }
        for (PathPair p : e.candidates) {
            if (p.local.usable) {
                return p;
            }
        }
        return e.candidates.length > 0 ? e.candidates[0] : null;
    }

    private PathPair[] candidates(SecurityAssociation sa) {
        List<PathPair> out = new ArrayList<>(2);
        for (PathPair p : pairs) {
            if (p.local.address.address().in(sa.localOuter()) && p.remote.in(sa.remoteOuter())) {
                out.add(p);
            }
        }
        return out.toArray(new PathPair[0]);
    }

    /** Puts {@code e} on {@code p} and points its SA there (not a switch: the SA's first path, or a reload's re-pointing). */
    private void place(SaEntry e, PathPair p) {
        if (e.pair != null) {
            e.pair.remove(e);
        }
        e.pair = p;
        p.add(e);
        e.sa.setCurrentPath(p.local.address.address(), p.remote);
        refreshGroupPath(e.group);
        setDisplaced(e, e.candidates.length > 0 && e.candidates[0] != p);
    }

    /** The path all of the group's SAs use, or null when they differ: the per-packet check then looks closer. */
    private static void refreshGroupPath(ReqidGroup g) {
        PathPair p = g.count == 0 ? null : g.out[0].pair;
        for (int i = 1; i < g.count && p != null; i++) {
            if (g.out[i].pair != p) {
                p = null;
            }
        }
        g.pair = p;
    }

    private void setDisplaced(SaEntry e, boolean on) {
        if (on && e.displacedSlot < 0) {
            if (displacedCount == displaced.length) {
                displaced = java.util.Arrays.copyOf(displaced, displacedCount * 2);
            }
            e.displacedSlot = displacedCount;
            displaced[displacedCount++] = e;
        } else if (!on && e.displacedSlot >= 0) {
            SaEntry last = displaced[--displacedCount];
            displaced[e.displacedSlot] = last;
            last.displacedSlot = e.displacedSlot;
            displaced[displacedCount] = null;
            e.displacedSlot = -1;
        }
    }

    // ---------------------------------------------------------------- paths

    /**
     * Replaces the monitored peer addresses (a reload added or removed connections). Paths kept keep their state,
     * evidence and outstanding probes; new ones start unverified. For each peer address, the paths are from the local
     * addresses on its subnet, or from every local address of its family when none is (a peer behind routers).
     * SAs whose path is gone are pointed at a path of the new set, without counting a switch.
     */
    public void setPeers(List<OuterAddress> addresses) {
        List<OuterAddress> distinct = new ArrayList<>();
        for (OuterAddress a : addresses) {
            if (!distinct.contains(a)) {
                distinct.add(a);
            }
        }
        List<PathPair> next = new ArrayList<>();
        for (OuterAddress r : distinct) {
            List<PathPair.Uplink> from = new ArrayList<>();
            for (PathPair.Uplink u : uplinks) {
                if (u.address.onLink(r)) {
                    from.add(u);
                }
            }
            if (from.isEmpty()) {
                for (PathPair.Uplink u : uplinks) {
                    if (u.address.address().v4() == r.v4()) {
                        from.add(u);
                    }
                }
            }
            for (PathPair.Uplink u : from) {
                PathPair p = find(u, r);
                if (p == null) {
                    p = new PathPair(u, r, next.size());
                }
                p.rank = next.size();
                next.add(p);
            }
        }
        List<PathPair> gone = new ArrayList<>(pairs);
        gone.removeAll(next);
        for (PathPair.Uplink u : uplinks) {
            u.pairs.clear();
        }
        for (PathPair p : next) {
            p.local.pairs.add(p);
            if (!pairs.contains(p)) {
                listener.pathStateChanged(p.local.address.address(), p.remote, null, p.state);
            }
        }
        pairs = List.copyOf(next);
        peers = List.copyOf(distinct);
        for (PathPair p : pairs) {
            p.authenticatedOnly = authenticatedOnly.contains(p.remote);
        }
        index.pairs(pairs);
        for (PathPair p : gone) {
            listener.pathStateChanged(p.local.address.address(), p.remote, p.state, null);
        }
        for (SaEntry e : entries.values()) {
            e.candidates = candidates(e.sa);
            PathPair at = e.pair == null ? null : index.find(e.pair.local.address.address(), e.pair.remote);
            if (at == null) {
                at = initialPath(e);
                if (at == null) {
                    if (e.pair != null) {
                        e.pair.remove(e);
                        e.pair = null;
                    }
                    setDisplaced(e, false);
                    continue;
                }
            }
            if (at != e.pair) {
                place(e, at);
            } else {
                setDisplaced(e, e.candidates.length > 0 && e.candidates[0] != at);
            }
        }
    }

    private PathPair find(PathPair.Uplink u, OuterAddress r) {
        for (PathPair p : pairs) {
            if (p.local == u && p.remote.equals(r)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The peer addresses whose paths take authenticated evidence only: an inbound ESP packet that passed its SA's
     * checks, or an IKE DPD answer ({@link #confirmed}). ICMP echo replies on these paths cannot be authenticated
     * (anyone on the path can forge one and pin traffic to a dead uplink), so they never make such a path UP or keep
     * it UP; each probe and each reply asks the control plane for a DPD probe instead
     * ({@link DataPathListener#authenticatedProbeWanted}). Applies to the current and future paths to them.
     */
    public void authenticatedOnly(java.util.Collection<OuterAddress> remotes) {
        authenticatedOnly = java.util.Set.copyOf(remotes);
        for (PathPair p : pairs) {
            p.authenticatedOnly = authenticatedOnly.contains(p.remote);
        }
    }

    /** The monitored peer addresses, in order of preference. */
    public List<OuterAddress> peers() {
        return peers;
    }

    /** Every path with its state, in order of preference (status output; on the event loop). */
    public List<Path> paths() {
        List<Path> out = new ArrayList<>(pairs.size());
        for (PathPair p : pairs) {
            out.add(new Path(p.local.address.address(), p.remote, p.state, p.local.usable, p.saCount));
        }
        return out;
    }

    /** The state of the path from {@code local} to {@code remote}, or null when it is not monitored. */
    public PathState state(OuterAddress local, OuterAddress remote) {
        PathPair p = index.find(local, remote);
        return p == null ? null : p.state;
    }

    /** True when some path to {@code remote} is up. */
    public boolean isAlive(OuterAddress remote) {
        for (PathPair p : pairs) {
            if (p.remote.equals(remote) && p.usable()) {
                return true;
            }
        }
        return false;
    }

    public long probesSent() {
        return probesSent;
    }

    /** The local address to send from towards {@code peer}: its most preferred path's, or null. */
    public LocalAddress localFor(OuterAddress peer) {
        for (PathPair p : pairs) {
            if (p.remote.equals(peer)) {
                return p.local.address;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- local events

    /**
     * The kernel says whether {@code local} can carry packets now (its link is up and running and the address is on
     * it). Going away: every path from it is DOWN and its SAs move now, in this call, to a live path of their pools.
     * Coming back: its paths are unverified and probed now; they are used again once a reply proves them.
     *
     * @param eventNanos when the kernel's message was read ({@link System#nanoTime()}), for the detection time
     */
    public void localChanged(OuterAddress local, boolean usable, long nowNanos, long eventNanos) {
        PathPair.Uplink u = uplink(local);
        if (u == null || u.usable == usable) {
            return;
        }
        u.usable = usable;
        u.eventNanos = eventNanos;
        if (!usable) {
            uplinkGone(u, nowNanos);
            return;
        }
        int sent = 0;
        for (PathPair p : u.pairs) {
            p.clearProbes();
            p.lastEvidence = NEVER;
            p.lastProbe = NEVER;
            setState(p, PathState.UNVERIFIED, nowNanos);
            if (p.stateSince != NEVER && spendProbe(nowNanos)) {
                sendProbe(p, nowNanos);
                sent++;
            }
        }
        if (sent > 0) {
            listener.pathProbesSent(sent);
        }
    }

    /**
     * Its uplink went away: its paths are DOWN and their SAs move, every one of them (and its announcement to the peer
     * sent), before the listener hears of any of it, since the listener logs and records metrics, which may be slow the
     * first time and must not delay the first packet on the new path.
     */
    private void uplinkGone(PathPair.Uplink u, long nowNanos) {
        // An SA that followed its peer off this uplink (the peer saw the failure first and announced its move) is away
        // from it for a failure of its own now: it switches back on its own when the link returns, after the hysteresis.
        for (SaEntry e : entries.values()) {
            if (e.lastCause == PathSwitchCause.PEER_MOVED && e.left != null && e.left.local == u) {
                e.lastCause = PathSwitchCause.LOCAL_EVENT;
            }
        }
        PathState[] before = new PathState[u.pairs.size()];
        for (int i = 0; i < before.length; i++) {
            PathPair p = u.pairs.get(i);
            p.clearProbes();
            before[i] = p.state;
            if (p.state != PathState.DOWN) {
                p.lastAlive = latest(p.lastEvidence, p.stateSince, NEVER);
                p.state = PathState.DOWN; // reported below, after the moves
                p.stateSince = nowNanos;
            }
        }
        List<Runnable> reports = new ArrayList<>();
        deferredReports = reports;
        try {
            for (PathPair p : u.pairs) {
                moveOff(p, nowNanos);
            }
        } finally {
            deferredReports = null;
        }
        for (int i = 0; i < before.length; i++) {
            if (before[i] != PathState.DOWN) {
                PathPair p = u.pairs.get(i);
                listener.pathStateChanged(p.local.address.address(), p.remote, before[i], PathState.DOWN);
            }
        }
        for (Runnable r : reports) {
            r.run();
        }
    }

    /**
     * A route through {@code interfaceName} was added or removed: its paths may lead elsewhere now. They are probed
     * at the busy rate for one detection time from now, so a path that no longer works is found in BFD time even
     * when it was idle.
     */
    public void routeChanged(String interfaceName, long nowNanos) {
        for (PathPair.Uplink u : uplinks) {
            if (interfaceName.equals(u.address.interfaceName())) {
                for (PathPair p : u.pairs) {
                    p.suspectUntil = nowNanos + busyNanos * timers.detectMultiplier();
                    p.modeSince = nowNanos;
                    p.lastProbe = NEVER;
                }
            }
        }
    }

    /** Our uplink addresses and whether the kernel said they can carry packets (in configured order). */
    public List<LocalAddress> locals() {
        return uplinks.stream().map(u -> u.address).toList();
    }

    private PathPair.Uplink uplink(OuterAddress a) {
        for (PathPair.Uplink u : uplinks) {
            if (u.address.address().equals(a)) {
                return u;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- timer

    /**
     * Sends the probes that are due, declares paths without evidence for their detection time down (moving their
     * SAs), sees which paths carry traffic, and moves SAs back to preferred paths after the hysteresis.
     *
     * @return when it should be called next ({@link System#nanoTime()} scale)
     */
    public long tick(long nowNanos) {
        long late = tickDue == NEVER ? 0 : nowNanos - tickDue;
        if (late > stallNanos) {
            // Our own timer ran late: the probes of the stall were not sent and their replies not read, so the
            // missing evidence says nothing about the paths. Every window restarts now; the probes go out below.
            windowFrom = nowNanos;
            stalls++;
            listener.pathMonitorStalled(late);
        }
        long next = nowNanos + idleNanos;
        boolean checkActivity = nextActivityCheck == NEVER || nowNanos - nextActivityCheck >= 0;
        if (checkActivity) {
            nextActivityCheck = nowNanos + busyNanos;
        }
        int sent = 0;
        int n = pairs.size();
        List<PathPair> down = null;
        for (int k = 0; k < n; k++) {
            PathPair p = pairs.get((probeCursor + k) % n);
            if (p.stateSince == NEVER) {
                p.stateSince = nowNanos; // watched from now: a full detection time before it can be declared down
                p.modeSince = nowNanos;
            }
            if (checkActivity && sawTraffic(p)) {
                if (!busy(p, nowNanos)) {
                    p.modeSince = nowNanos; // idle to busy: the shorter detection time counts from now
                }
                p.lastTraffic = nowNanos;
            }
            if (!p.local.usable) {
                continue;
            }
            long interval = probeInterval(p, nowNanos);
            if (p.state != PathState.DOWN) {
                long deadline = latest(latest(p.lastEvidence, p.modeSince, p.stateSince), windowFrom, NEVER)
                        + interval * timers.detectMultiplier();
                if (nowNanos - deadline >= 0) {
                    if (down == null) {
                        down = new ArrayList<>(2);
                    }
                    down.add(p);
                    interval = idleNanos;
                } else {
                    next = earlier(next, deadline);
                }
            }
            long heard = latest(p.lastEvidence, p.lastProbe, NEVER);
            long due = heard == NEVER ? nowNanos : heard + interval;
            if (nowNanos - due >= 0) {
                if (spendProbe(nowNanos)) {
                    sendProbe(p, nowNanos);
                    sent++;
                    due = nowNanos + interval;
                } else {
                    due = nowNanos + probeCostNanos;
                }
            }
            next = earlier(next, due);
        }
        if (n > 0) {
            probeCursor = (probeCursor + 1) % n; // a spent probe budget does not always starve the same paths
        }
        if (down != null) {
            down.sort(java.util.Comparator.comparingInt(p -> p.rank)); // in preference order, whatever the probe cursor
            for (PathPair p : down) {
                p.lastAlive = latest(p.lastEvidence, p.stateSince, NEVER);
                setState(p, PathState.DOWN, nowNanos);
            }
            for (PathPair p : down) {
                moveOff(p, nowNanos);
            }
        }
        if (switchBackDue != NEVER && nowNanos - switchBackDue >= 0) {
            switchBackDue = NEVER;
            for (int i = displacedCount - 1; i >= 0; i--) {
                if (i < displacedCount) {
                    reevaluate(displaced[i], nowNanos);
                }
            }
        }
        if (switchBackDue != NEVER) {
            next = earlier(next, switchBackDue);
        }
        for (PathPair p : pairs) {
            if (p.saCount > 0) {
                next = earlier(next, nextActivityCheck);
                break;
            }
        }
        if (sent > 0) {
            listener.pathProbesSent(sent);
        }
        tickDue = next;
        return next;
    }

    /**
     * Ticks that came later than they were due by more than the busy detection time less one probe interval (at least
     * one interval): late enough for a working path's window to run out on the loop's delay alone (issue 14).
     */
    public long stalls() {
        return stalls;
    }

    /** The busy interval while its SAs send without evidence, it is unverified or its route changed; else the idle one. */
    private long probeInterval(PathPair p, long nowNanos) {
        boolean fast = busy(p, nowNanos) || p.state == PathState.UNVERIFIED
                || (p.suspectUntil != NEVER && nowNanos - p.suspectUntil < 0);
        return fast ? busyNanos : idleNanos;
    }

    /**
     * Busy: its SAs sent within the last busy detection time. Sticky on purpose: traffic in bursts keeps a path busy
     * instead of restarting its detection window at every burst.
     */
    private boolean busy(PathPair p, long nowNanos) {
        return p.lastTraffic != NEVER && nowNanos - p.lastTraffic < busyNanos * timers.detectMultiplier();
    }

    /** Whether the SAs on {@code p} sent packets since the last check (stops at the first that did). */
    private static boolean sawTraffic(PathPair p) {
        for (int i = 0; i < p.saCount; i++) {
            SaEntry e = p.sas[i];
            long now = e.sa.packets();
            if (now != e.lastPackets) {
                e.lastPackets = now;
                return true;
            }
        }
        return false;
    }

    private static long latest(long a, long b, long c) {
        long m = a;
        if (m == NEVER || (b != NEVER && b - m > 0)) {
            m = b;
        }
        if (m == NEVER || (c != NEVER && c - m > 0)) {
            m = c;
        }
        return m;
    }

    private static long earlier(long a, long b) {
        return b - a < 0 ? b : a;
    }

    // ---------------------------------------------------------------- decisions

    private void setState(PathPair p, PathState s, long nowNanos) {
        PathState old = p.state;
        p.state = s;
        if (p.stateSince != NEVER || s != PathState.UNVERIFIED) {
            p.stateSince = nowNanos;
        }
        if (old != s) {
            listener.pathStateChanged(p.local.address.address(), p.remote, old, s);
        }
    }

    /** Moves the SAs of a broken path to a working one (each SA's first path that is up, in preference order). */
    private void moveOff(PathPair p, long nowNanos) {
        for (int i = p.saCount - 1; i >= 0; i--) {
            if (i < p.saCount) {
                reevaluate(p.sas[i], nowNanos);
            }
        }
    }

    /** A path became UP: SAs stuck on broken paths may move now; displaced ones may move back (after the hysteresis). */
    private void cameUp(PathPair up, long nowNanos) {
        for (PathPair p : pairs) {
            if (p != up && p.broken() && p.saCount > 0) {
                moveOff(p, nowNanos);
            }
        }
        // Displaced SAs see the better path now: each is moved back (no hysteresis configured) or held, and
        // the hold is reported and timed.
        for (int i = displacedCount - 1; i >= 0; i--) {
            if (i < displacedCount) {
                reevaluate(displaced[i], nowNanos);
            }
        }
    }

    /**
     * Decides where one SA should be. A broken current path (uplink gone, or down) is left for the first path that
     * is up; with the uplink gone and nothing up, for the first path whose uplink is there (an unverified path before a
     * failed one), since a packet sent over a missing link is lost for sure. A working current path is left only for
     * a more preferred one that has been up for the hysteresis time, within the SA's switch budget, and not when the
     * SA is where its peer moved it.
     */
    private void reevaluate(SaEntry e, long nowNanos) {
        PathPair cur = e.pair;
        if (cur == null || e.candidates.length == 0) {
            return;
        }
        PathPair best = firstUp(e);
        if (cur.broken()) {
            PathPair target = best;
            if (target == null && !cur.local.usable) {
                target = firstWithUplink(e);
            }
            if (target == null || target == cur) {
                return;
            }
            boolean local = !cur.local.usable;
            if (!local && cur.timesUp == 0) {
                move(e, target, PathSwitchCause.PLACEMENT, -1, nowNanos); // it never worked: nothing to detect, nothing to budget
                return;
            }
            long since = local ? cur.local.eventNanos : cur.lastAlive;
            spendForced(e, nowNanos);
            move(e, target, local ? PathSwitchCause.LOCAL_EVENT : PathSwitchCause.PROBE_TIMEOUT,
                    since == NEVER ? -1 : Math.max(0, nowNanos - since), nowNanos);
            return;
        }
        if (best == null || best.rank >= cur.rank || e.lastCause == PathSwitchCause.PEER_MOVED) {
            return;
        }
        if (placing(e, best, nowNanos)) {
            move(e, best, PathSwitchCause.PLACEMENT, -1, nowNanos);
            return;
        }
        long upFor = nowNanos - best.stateSince;
        if (upFor < switchBackNanos) {
            hold(e, best, SwitchHold.HYSTERESIS);
            long due = best.stateSince + switchBackNanos;
            switchBackDue = switchBackDue == NEVER ? due : earlier(switchBackDue, due);
            return;
        }
        if (!spend(e, nowNanos)) {
            hold(e, best, SwitchHold.RATE_LIMIT);
            long due = nowNanos + (switchCostNanos - e.credit);
            switchBackDue = switchBackDue == NEVER ? due : earlier(switchBackDue, due);
            return;
        }
        move(e, best, PathSwitchCause.SWITCH_BACK, -1, nowNanos);
    }

    /**
     * Whether moving {@code e} to the more preferred {@code best} is still its first placement: {@code best} is up for
     * the first time (it never failed), and this is within one idle detection time of the first of the SA's paths coming up
     * (by then every path was probed at least detect-multiplier times since the peer first answered: as many chances as
     * declaring a path down takes). Such a move needs no hysteresis and takes nothing from the switch budget: each one
     * goes to a strictly more preferred path that was never up before, so there are fewer of them than paths.
     */
    private boolean placing(SaEntry e, PathPair best, long nowNanos) {
        if (best.timesUp != 1) {
            return false;
        }
        long first = best.firstUp;
        for (PathPair p : e.candidates) {
            if (p.firstUp != NEVER && p.firstUp - first < 0) {
                first = p.firstUp;
            }
        }
        return nowNanos - first < placementWindowNanos;
    }

    private static PathPair firstUp(SaEntry e) {
        for (PathPair p : e.candidates) {
            if (p.usable()) {
                return p;
            }
        }
        return null;
    }

    private static PathPair firstWithUplink(SaEntry e) {
        PathPair failed = null;
        for (PathPair p : e.candidates) {
            if (p.local.usable) {
                if (p.state != PathState.DOWN) {
                    return p;
                }
                if (failed == null) {
                    failed = p;
                }
            }
        }
        return failed;
    }

    private void move(SaEntry e, PathPair to, PathSwitchCause cause, long detectionNanos, long nowNanos) {
        OuterAddress fromLocal = e.sa.currentLocal();
        OuterAddress fromRemote = e.sa.currentRemote();
        PathPair from = e.pair;
        place(e, to);
        if (cause != PathSwitchCause.PEER_MOVED) {
            e.group.shieldFrom = from;
            e.group.shieldUntil = nowNanos + peerShieldNanos;
        }
        if (cause != PathSwitchCause.PEER_MOVED) {
            e.group.movedAt = nowNanos;
            e.group.awaitingPeer = true;
            e.group.peerElsewhere = false;
        }
        e.lastCause = cause;
        e.left = from;
        e.heldFor = null;
        e.heldWhy = null;
        if (cause != PathSwitchCause.PEER_MOVED) {
            announcer.accept(e.sa); // first: the listener's metrics and log line need not delay the peer
        }
        List<Runnable> later = deferredReports;
        if (later != null) {
            // Its SA moves once in that turn: its uplink's paths are all down, so it does not land on one of them.
            SecurityAssociation sa = e.sa;
            later.add(() -> listener.outerPathChanged(sa, fromLocal, fromRemote, cause, detectionNanos));
            return;
        }
        listener.outerPathChanged(e.sa, fromLocal, fromRemote, cause, detectionNanos);
    }

    /** Reports a hold once per target, reason and episode of the target's state. */
    private void hold(SaEntry e, PathPair target, SwitchHold why) {
        if (e.heldFor == target && e.heldWhy == why && e.heldEpoch == target.stateSince) {
            return;
        }
        e.heldFor = target;
        e.heldWhy = why;
        e.heldEpoch = target.stateSince;
        listener.outerPathHeld(e.sa, why);
    }

    /** Takes one discretionary switch from the SA's budget if there is one (a token bucket counted in nanoseconds). */
    private boolean spend(SaEntry e, long nowNanos) {
        refill(e, nowNanos);
        if (e.credit < switchCostNanos) {
            return false;
        }
        e.credit -= switchCostNanos;
        return true;
    }

    /** A forced switch always happens, and takes from the budget what is there. */
    private void spendForced(SaEntry e, long nowNanos) {
        refill(e, nowNanos);
        e.credit = Math.max(0, e.credit - switchCostNanos);
    }

    private void refill(SaEntry e, long nowNanos) {
        if (e.credit == Long.MIN_VALUE) {
            e.credit = switchWindowNanos;
        } else {
            e.credit = Math.min(switchWindowNanos, e.credit + Math.max(0, nowNanos - e.creditAt));
        }
        e.creditAt = nowNanos;
    }

    // ---------------------------------------------------------------- evidence (per packet)

    private void evidence(PathPair p, long nowNanos) {
        p.lastEvidence = nowNanos == NEVER ? NEVER + 1 : nowNanos;
        if (p.state != PathState.UP && p.local.usable) {
            if (p.stateSince == NEVER) {
                p.stateSince = nowNanos;
                p.modeSince = nowNanos;
            }
            p.wentUp(nowNanos);
            setState(p, PathState.UP, nowNanos);
            cameUp(p, nowNanos);
        }
    }

    /** The newest packet of the connection came over {@code p}: its outbound SAs follow (within their budget). */
    private void peerMoved(ReqidGroup g, PathPair p, long nowNanos) {
        for (int i = 0; i < g.count; i++) {
            SaEntry e = g.out[i];
            if (e.pair == p || !e.canUse(p)) {
                continue;
            }
            if (!spend(e, nowNanos)) {
                hold(e, p, SwitchHold.RATE_LIMIT);
                continue;
            }
            PathPair from = e.pair;
            long since = from == null ? NEVER : latest(from.lastEvidence, from.stateSince, NEVER);
            move(e, p, PathSwitchCause.PEER_MOVED, since == NEVER ? -1 : Math.max(0, nowNanos - since), nowNanos);
        }
    }

    @Override
    public void authenticatedV4(SecurityAssociation sa, long sequence, int remote, int local, long nowNanos) {
        PathPair p = index.findV4(local, remote);
        if (p != null) {
            evidence(p, nowNanos);
        }
        follow(sa, sequence, p, nowNanos);
    }

    @Override
    public void authenticatedV6(SecurityAssociation sa, long sequence, long remoteHi, long remoteLo, long localHi,
                                long localLo, long nowNanos) {
        PathPair p = index.findV6(localHi, localLo, remoteHi, remoteLo);
        if (p != null) {
            evidence(p, nowNanos);
        }
        follow(sa, sequence, p, nowNanos);
    }

    private void follow(SecurityAssociation inbound, long sequence, PathPair p, long nowNanos) {
        ReqidGroup g = index.group(inbound.reqid());
        if (g == null || !g.newest(inbound.spi(), sequence) || p == null || !p.local.usable) {
            return;
        }
        if (g.pair == p) {
            g.shieldFrom = null; // the peer sends where we are: it saw our move
            // Packets it sent before it saw our move may come over our new path too; only its coming over from another
            // path shows that it followed us there.
            g.awaitingPeer &= !g.peerElsewhere;
            return;
        }
        g.peerElsewhere = true;
        if (p == g.shieldFrom && nowNanos - g.shieldUntil < 0) {
            return; // sent before the peer saw that we left this path: following it would bounce both ends
        }
        if (g.stands && g.awaitingPeer && nowNanos - g.movedAt < peerShieldNanos) {
            return; // both ends moved at once: the one that stands keeps its path, the other follows it there
        }
        peerMoved(g, p, nowNanos);
    }

    /**
     * The tie-break between two ends that move on their own at the same time to different paths (each switching back
     * to the path it prefers, after a link came back), which would otherwise follow each other's newest packet in turn
     * until their switch budgets run out: the end whose local outer pool has the lower first address (IPv4 before
     * IPv6) stands, that is, after a move of its own it does not follow the peer to another path until the peer was
     * seen coming over to its new path or the peer shield's time passed; the other end always follows. Following the
     * peer is no move of its own: an end that followed follows again at once. Both ends compute it from the same two pools, with
     * the roles swapped, so exactly one of them stands (neither when the pools start at the same address).
     */
    static boolean stands(SecurityAssociation sa) {
        return compareFirst(sa.localOuter(), sa.remoteOuter()) < 0;
    }

    private static int compareFirst(AddressPool a, AddressPool b) {
        boolean a4 = a.v4RangeCount() > 0;
        boolean b4 = b.v4RangeCount() > 0;
        if (a4 || b4) {
            return a4 && b4 ? Long.compare(a.v4First(0), b.v4First(0)) : a4 ? -1 : 1;
        }
        if (a.v6RangeCount() == 0 || b.v6RangeCount() == 0) {
            return 0;
        }
        int c = Long.compareUnsigned(a.v6FirstHi(0), b.v6FirstHi(0));
        return c != 0 ? c : Long.compareUnsigned(a.v6FirstLo(0), b.v6FirstLo(0));
    }

    /** Authenticated proof that the path from {@code remote} to {@code local} works (an IKE DPD answer, RFC 3706); moves no SA. */
    @Override
    public void confirmed(OuterAddress local, OuterAddress remote, long nowNanos) {
        PathPair p = index.find(local, remote);
        if (p != null) {
            evidence(p, nowNanos);
        }
    }

    @Override
    public boolean probeReply(IpPacketView v, ByteBuf packet, long nowNanos) {
        if (!echoReplyWithOurId(v, packet)) {
            return false;
        }
        int at = v.transportOffset();
        int seq = packet.getUnsignedShort(at + 6);
        long token = packet.getLong(at + 8);
        if (token == 0) {
            return false;
        }
        // The path is named by the reply's addresses: our probe went from its destination to its source.
        PathPair p = v.isV4() ? index.findV4(v.v4Destination(), v.v4Source())
                : index.findV6(v.v6DestinationHi(), v.v6DestinationLo(), v.v6SourceHi(), v.v6SourceLo());
        if (p == null) {
            return false; // an echo reply with our identifier on a path we never probed: no evidence
        }
        for (int i = 0; i < OUTSTANDING; i++) {
            if (p.tokens[i] == token && p.sequences[i] == seq) {
                p.tokens[i] = 0; // a value counts once: a replayed reply is no evidence
                if (p.authenticatedOnly) {
                    // a hint, not evidence: a DPD probe unless one was asked for within the path's probe interval (a
                    // burst of late replies would otherwise cost one R-U-THERE each)
                    if (p.lastDpdWanted == NEVER || nowNanos - p.lastDpdWanted >= probeInterval(p, nowNanos)) {
                        wantAuthenticated(p, nowNanos);
                    }
                } else {
                    evidence(p, nowNanos);
                }
                return true;
            }
        }
        return false;
    }

    /** An unfragmented ICMP or ICMPv6 echo reply (RFC 792, RFC 4443 §4.2) with {@link #ECHO_ID}, long enough for a token. */
    static boolean echoReplyWithOurId(IpPacketView v, ByteBuf packet) {
        int at = v.transportOffset();
        int end = v.offset() + v.totalLength();
        if (at + 16 > end || v.isFragment()) {
            return false;
        }
        boolean reply = v.isV4() ? v.protocol() == IpPacketView.PROTO_ICMP && v.sourcePort() == 0 && v.destinationPort() == 0
                : v.protocol() == IpPacketView.PROTO_ICMPV6 && v.sourcePort() == 129 && v.destinationPort() == 0;
        return reply && packet.getUnsignedShort(at + 4) == ECHO_ID;
    }

    // ---------------------------------------------------------------- probes

    private boolean spendProbe(long nowNanos) {
        if (probeCredit == NEVER) {
            probeCredit = probeBurstNanos;
        } else {
            probeCredit = Math.min(probeBurstNanos, probeCredit + Math.max(0, nowNanos - probeCreditAt));
        }
        probeCreditAt = nowNanos;
        if (probeCredit < probeCostNanos) {
            return false;
        }
        probeCredit -= probeCostNanos;
        return true;
    }

    private void sendProbe(PathPair p, long nowNanos) {
        sequence = (sequence + 1) & 0xffff;
        int slot = p.nextToken;
        p.nextToken = (slot + 1) % OUTSTANDING;
        long token = nextToken();
        p.tokens[slot] = token;
        p.sequences[slot] = sequence;
        p.lastProbe = nowNanos;
        probeSink.accept(echoRequest(p.local.address.address(), p.remote, sequence, token));
        probesSent++;
        if (p.authenticatedOnly) {
            wantAuthenticated(p, nowNanos); // probes go once per interval already
        }
    }

    private void wantAuthenticated(PathPair p, long nowNanos) {
        p.lastDpdWanted = nowNanos;
        listener.authenticatedProbeWanted(p.local.address.address(), p.remote);
    }

    private long nextToken() {
        long t;
        do {
            t = random.nextLong();
        } while (t == 0); // 0 marks a free slot
        return t;
    }

    /** An ICMP (RFC 792) or ICMPv6 (RFC 4443 §4.1) echo request from {@code src} to {@code dst}, {@code data} as payload. */
    ByteBuf echoRequest(OuterAddress src, OuterAddress dst, int seq, long data) {
        ByteBuf b = alloc.directBuffer(src.v4() ? 36 : 56);
        if (src.v4()) {
            b.writeByte(0x45).writeByte(0).writeShort(36).writeShort(seq).writeShort(0x4000);
            b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0).writeInt(src.v4Bits()).writeInt(dst.v4Bits());
            Checksums.writeIpv4HeaderChecksum(b, 0);
            b.writeByte(8).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(data);
            b.setShort(22, Checksums.checksum(b, 20, 16));
        } else {
            b.writeInt(0x60000000).writeShort(16).writeByte(IpPacketView.PROTO_ICMPV6).writeByte(64);
            b.writeLong(src.v6Hi()).writeLong(src.v6Lo()).writeLong(dst.v6Hi()).writeLong(dst.v6Lo());
            b.writeByte(128).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(data);
            long pseudo = Checksums.ipv6PseudoHeader(b, 0, 16, IpPacketView.PROTO_ICMPV6);
            b.setShort(42, Checksums.fold(Checksums.sum(b, 40, 16, pseudo)));
        }
        return b;
    }
}
