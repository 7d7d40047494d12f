package net.poolsa.ike.exchange;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.slf4j.event.Level;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.pool.PoolIdentities;
import net.poolsa.ike.pool.PoolIdentities.Compatibility;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.Exchange;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.sa.SelectorPair;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.PortRole;

/**
 * What starts and ends exchanges across IKE SAs: an initiation runs Main Mode when no IKE SA serves the connection,
 * then the Quick Modes for its pools (one with an ID_LIST per side, or one per range pair towards a peer that does
 * not take ID_LIST, as {@link net.poolsa.ike.sa.PeerMemory} remembers); removing an IKE SA takes its child SAs,
 * its exchanges and the initiations waiting for it along.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 §3</a>
 */
final class Initiations {
    private final IkeContext ctx;
    /** Initiations waiting for a Main Mode to finish, by our cookie of that IKE SA. */
    private final Map<Long, List<Negotiation>> waiting = new HashMap<>();
    /**
     * Quick Modes waiting for the one in progress on the same IKE SA, by our cookie of it. We run one at a time:
     * strongSwan keeps the IV chains of only 3 exchanges per IKE SA ({@code charon.max_ikev1_exchanges}), and
     * four range pairs at once made it lose every chain (seen with 5.9.8: each HASH(3) failed to decrypt).
     */
    private final Map<Long, ArrayDeque<QueuedQuickMode>> queued = new HashMap<>();

    private record QueuedQuickMode(ConnectionState conn, Negotiation negotiation, IdentificationPayload local,
                                   IdentificationPayload remote) {
    }

    /**
     * Our Main Modes as initiator, by our cookie: the index of their pair of addresses ({@link #endpoints}) and how many
     * pairs the initiations waiting for them have tried so far.
     */
    private final Map<Long, PairAttempt> attempts = new HashMap<>();

    private record PairAttempt(int pair, int tried) {
    }

    Initiations(IkeContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Negotiates the connection's child SAs; completes when they are installed or the attempt failed. A new Main Mode
     * goes over the pair of addresses that last carried one through ({@link ConnectionState#preferredPair()}).
     */
    CompletableFuture<IkeResult> initiate(String name) {
        ConnectionState c = ctx.connection(name);
        return initiate(name, c == null ? 0 : c.preferredPair());
    }

    /**
     * As {@link #initiate(String)}; a new Main Mode goes over the {@code attempt}-th pair of addresses of the pools
     * ({@link #endpoints(ConnectionState, int)}), so that attempts in turn try every path.
     */
    CompletableFuture<IkeResult> initiate(String name, int attempt) {
        ConnectionState c = ctx.connection(name);
        if (c == null) {
            return CompletableFuture.completedFuture(IkeResult.failed("no IKE connection named " + name));
        }
        if (c.negotiation() != null) {
            return c.negotiation().result();
        }
        List<ChildSa> up = children(name);
        if (!up.isEmpty()) {
            StringBuilder b = new StringBuilder("connection " + name + " is already established:");
            for (ChildSa ch : up) {
                b.append(String.format(" in 0x%08x out 0x%08x", ch.spiIn(), ch.spiOut()));
            }
            return CompletableFuture.completedFuture(IkeResult.ok(b.toString()));
        }
        Negotiation n = new Negotiation(c);
        c.negotiation(n);
        IkeSa sa = usableSa(c);
        if (sa != null && sa.established()) {
            startQuickModes(sa, c, n);
        } else if (sa != null) {
            waiting.computeIfAbsent(sa.localCookie(), k -> new ArrayList<>()).add(n);
        } else {
            InetSocketAddress[] ends = endpoints(c, attempt);
            if (ends == null) {
                n.fail("no local IKE socket in the outer pool [" + c.config().localOuter()
                        + "] of the address family of a single address of the remote outer pool ["
                        + c.config().remoteOuter() + "]");
            } else {
                IkeSa mm = MainModeInitiator.start(ctx, c, ends[0], ends[1]);
                attempts.put(mm.localCookie(), new PairAttempt(attempt, 1));
                waiting.computeIfAbsent(mm.localCookie(), k -> new ArrayList<>()).add(n);
            }
        }
        return n.result();
    }

    /**
     * Main Mode message 1 of {@code sa} had no answer within {@code waited} ms: when a pair of addresses of the pools
     * is left that the initiations waiting for it have not tried, they move to a new Main Mode over it and this one
     * goes. A pair whose uplink (ours or the peer's) is dead then costs one wait instead of the whole retransmission
     * backoff (4 s, against 2.75 minutes). Message 1 binds nothing to its addresses (NAT-D comes in messages 3 and 4),
     * so the responder sees a new initiator; a half-open SA an answer on the old pair left behind expires there.
     *
     * @return false when nothing moved (no other pair, every pair tried, no initiation waiting): retransmit as before
     */
    boolean nextPair(IkeSa sa, long waited) {
        PairAttempt a = attempts.get(sa.localCookie());
        ConnectionState c = ctx.connection(sa.connection());
        List<Negotiation> ns = waiting.get(sa.localCookie());
        if (a == null || c == null || ns == null || ns.isEmpty()) {
            return false;
        }
        List<InetSocketAddress[]> pairs = pairs(c);
        if (a.tried() >= pairs.size()) {
            return false;
        }
        int next = a.pair() + 1;
        InetSocketAddress[] ends = pairs.get(Math.floorMod(next, pairs.size()));
        waiting.remove(sa.localCookie());
        IkeContext.LOG.info("event=main_mode_next_pair connection={} from={}>{} to={}>{} reason=\"no answer to message 1 "
                + "in {} ms\"", c.name(), Endpoints.text(sa.local()), Endpoints.text(sa.remote()), Endpoints.text(ends[0]),
                Endpoints.text(ends[1]), waited);
        ctx.events().exchange("main_mode", "timeout"); // this Main Mode's: its pair gave no answer
        removeSa(sa, "no answer to Main Mode message 1 over this pair: the next pair was tried", false);
        IkeSa mm = MainModeInitiator.start(ctx, c, ends[0], ends[1]);
        attempts.put(mm.localCookie(), new PairAttempt(next, a.tried() + 1));
        waiting.put(mm.localCookie(), ns);
        return true;
    }

    /**
     * After every pair had a Main Mode of its own ({@link #nextPair}), the retransmissions of message 1 take the pairs
     * in turn, with the usual backoff and the usual end: a peer that comes up later is met on whichever pair works, not
     * only on the last one tried (which may be a crossed pair that no link carries).
     */
    void rotatePair(IkeSa sa) {
        PairAttempt a = attempts.get(sa.localCookie());
        ConnectionState c = ctx.connection(sa.connection());
        if (a == null || c == null) {
            return;
        }
        List<InetSocketAddress[]> pairs = pairs(c);
        if (pairs.size() < 2 || a.tried() < pairs.size()) {
            return;
        }
        int next = a.pair() + 1;
        InetSocketAddress[] ends = pairs.get(Math.floorMod(next, pairs.size()));
        sa.endpoints(ends[0], ends[1]);
        attempts.put(sa.localCookie(), new PairAttempt(next, a.tried() + 1));
    }

    /**
     * Negotiates one SA pair for the selectors of {@code pair} (a rekey: the pair already installed stays until the
     * new one is in), over a usable ISAKMP SA or a new Main Mode towards the connection's peer, or, when the
     * connection names no single peer address, towards {@code peer}.
     */
    CompletableFuture<IkeResult> rekey(ConnectionState c, SelectorPair pair, InetSocketAddress[] peer) {
        Negotiation n = new Negotiation(c, pair);
        IkeSa sa = usableSa(c);
        if (sa != null && sa.established()) {
            queueRekey(sa, n);
        } else if (sa != null) {
            waiting.computeIfAbsent(sa.localCookie(), k -> new ArrayList<>()).add(n);
        } else {
            InetSocketAddress[] ends = endpoints(c, c.preferredPair());
            boolean ofThePools = ends != null;
            if (ends == null) {
                ends = peer;
            }
            if (ends == null) {
                n.fail("no IKE endpoint towards the peer of connection " + c.name());
            } else {
                IkeSa mm = MainModeInitiator.start(ctx, c, ends[0], ends[1]);
                if (ofThePools) {
                    attempts.put(mm.localCookie(), new PairAttempt(c.preferredPair(), 1));
                }
                waiting.computeIfAbsent(mm.localCookie(), k -> new ArrayList<>()).add(n);
            }
        }
        return n.result();
    }

    private void queueRekey(IkeSa sa, Negotiation n) {
        SelectorPair p = n.rekeyPair();
        queueQuickMode(sa, n.connection(), n, PoolIdentities.toSingleId(p.localProtected(), 0, 0),
                PoolIdentities.toSingleId(p.remoteProtected(), 0, 0));
    }

    /** An IKE SA (ours or the peer's) that can carry Quick Modes of {@code c}: same key, addresses in its pools. */
    private IkeSa usableSa(ConnectionState c) {
        IkeSa pendingOurs = null;
        IkeSa pendingShared = null;
        for (IkeSa sa : ctx.table().all()) {
            ConnectionState ike = ctx.connection(sa.connection());
            boolean fits = ike != null && !sa.replaced() && ike.config().sameCredentials(c.config())
                    && c.config().localOuter().contains(sa.local().getAddress())
                    && c.config().remoteOuter().contains(sa.remote().getAddress());
            if (!fits) {
                continue;
            }
            if (sa.established()) {
                return sa;
            }
            if (sa.role() == Role.INITIATOR && sa.connection().equals(c.name())) {
                pendingOurs = sa;
            } else if (sa.role() == Role.INITIATOR) {
                // another connection to the same peer with the same credentials is in Main Mode (all of them start at
                // once after a restart): one ISAKMP SA will carry both, as an established one would
                pendingShared = sa;
            }
        }
        return pendingOurs != null ? pendingOurs : pendingShared;
    }

    /**
     * Where Main Mode goes. Attempt 0: the first single address of the remote outer pool (a subnet names no peer), from
     * the first entry of our outer pool of that family that holds an IKE socket (the address itself for a
     * single-address entry, the first bound address inside a range: a gateway's outer pool is usually its uplink
     * subnets). Later attempts take the other pairs of our bound addresses in the pool and the peer's single addresses,
     * in turn: local i with remote i first, then the shifted pairs, so that consecutive attempts change both ends where
     * they can and a dead uplink on either side is left after one attempt; after the last pair the first comes again.
     */
    private InetSocketAddress[] endpoints(ConnectionState c, int attempt) {
        List<InetSocketAddress[]> pairs = pairs(c);
        return pairs.isEmpty() ? null : pairs.get(Math.floorMod(attempt, pairs.size()));
    }

    /** Every pair of addresses a Main Mode of {@code c} may go over, in the order of {@link #endpoints}. */
    private List<InetSocketAddress[]> pairs(ConnectionState c) {
        List<InetSocketAddress> locals = new ArrayList<>();
        for (AddressPool.Range l : c.config().localOuter().ranges()) {
            for (InetSocketAddress local : ctx.network().locals(PortRole.IKE)) {
                if (l.contains(local.getAddress()) && !locals.contains(local)) {
                    locals.add(local);
                }
            }
        }
        List<InetAddress> remotes = new ArrayList<>();
        for (AddressPool.Range r : c.config().remoteOuter().ranges()) {
            if (r.first().equals(r.last())) {
                remotes.add(r.first());
            }
        }
        List<InetSocketAddress[]> pairs = new ArrayList<>();
        for (int family : familiesOf(remotes)) {
            List<InetSocketAddress> lf = locals.stream().filter(l -> l.getAddress().getAddress().length == family).toList();
            List<InetAddress> rf = remotes.stream().filter(r -> r.getAddress().length == family).toList();
            int n = Math.max(lf.size(), rf.size());
            for (int shift = 0; shift < n; shift++) {
                for (int j = 0; j < rf.size(); j++) {
                    for (int i = 0; i < lf.size(); i++) {
                        if (Math.floorMod(i - j, n) == shift) {
                            pairs.add(new InetSocketAddress[] {lf.get(i),
                                new InetSocketAddress(rf.get(j), ctx.network().peerPort(PortRole.IKE))});
                        }
                    }
                }
            }
        }
        return pairs;
    }

    /** The address lengths (4, 16) of {@code addresses}, in order of first appearance. */
    private static List<Integer> familiesOf(List<InetAddress> addresses) {
        List<Integer> out = new ArrayList<>(2);
        for (InetAddress a : addresses) {
            if (!out.contains(a.getAddress().length)) {
                out.add(a.getAddress().length);
            }
        }
        return out;
    }

    /** Main Mode finished: the initiations waiting for it start their Quick Modes. */
    void established(IkeSa sa) {
        PairAttempt a = attempts.remove(sa.localCookie());
        ConnectionState conn = ctx.connection(sa.connection());
        if (a != null && conn != null) {
            conn.preferredPair(a.pair()); // the next Main Mode starts where this one got through
        }
        List<Negotiation> ns = waiting.remove(sa.localCookie());
        if (ns == null) {
            return;
        }
        for (Negotiation n : ns) {
            if (n.done()) {
                continue;
            }
            if (n.rekeyPair() != null) {
                queueRekey(sa, n);
            } else {
                startQuickModes(sa, n.connection(), n);
            }
        }
    }

    /** Main Mode gave up: its initiations fail, the SA goes. */
    void mainModeFailed(IkeSa sa, String why) {
        IkeContext.LOG.warn("event=main_mode_failed connection={} remote={} reason=\"{}\"", sa.connection(),
                Endpoints.text(sa.remote()), why);
        removeSa(sa, why, false);
    }

    private void startQuickModes(IkeSa sa, ConnectionState c, Negotiation n) {
        InetAddress peer = sa.remote().getAddress();
        Compatibility compat = ctx.peers().compatibility(peer);
        AddressPool local = c.config().localProtected();
        AddressPool remote = c.config().remoteProtected();
        int ranges = local.v4RangeCount() + local.v6RangeCount() + remote.v4RangeCount() + remote.v6RangeCount();
        if (compat == Compatibility.ID_LIST || ranges == 2) {
            queueQuickMode(sa, c, n, PoolIdentities.toSingleId(local, 0, 0), PoolIdentities.toSingleId(remote, 0, 0));
            return;
        }
        IkeContext.LOG.info("event=quick_mode_per_range_pair connection={} peer={} reason=\"the peer does not take "
                + "ID_LIST (remembered)\"", c.name(), IpLiterals.format(peer));
        startRangePairs(sa, c, n);
    }

    private void startRangePairs(IkeSa sa, ConnectionState c, Negotiation n) {
        int started = 0;
        for (IdentificationPayload l : PoolIdentities.toIds(c.config().localProtected(), 0, 0)) {
            for (IdentificationPayload r : PoolIdentities.toIds(c.config().remoteProtected(), 0, 0)) {
                if (l.idType().isV6() == r.idType().isV6()) {
                    queueQuickMode(sa, c, n, l, r);
                    started++;
                }
            }
        }
        if (started == 0) {
            n.fail("the protected pools share no address family");
        }
    }

    /** Starts a Quick Mode for {@code n} on {@code sa} now, or after the ones queued before it. */
    private void queueQuickMode(IkeSa sa, ConnectionState c, Negotiation n, IdentificationPayload local,
                                IdentificationPayload remote) {
        n.started();
        ArrayDeque<QueuedQuickMode> q = queued.get(sa.localCookie());
        if (q != null) {
            q.add(new QueuedQuickMode(c, n, local, remote));
            return;
        }
        queued.put(sa.localCookie(), new ArrayDeque<>());
        QuickModeInitiator.start(ctx, sa, c, n, local, remote);
    }

    /** The Quick Mode we ran on {@code sa} ended (installed, failed, refused): the next queued one starts. */
    void quickModeEnded(IkeSa sa) {
        ArrayDeque<QueuedQuickMode> q = queued.get(sa.localCookie());
        if (q == null) {
            return;
        }
        QueuedQuickMode next;
        while ((next = q.poll()) != null) {
            if (!next.negotiation().done() && ctx.connection(next.conn().name()) == next.conn()) {
                QuickModeInitiator.start(ctx, sa, next.conn(), next.negotiation(), next.local(), next.remote());
                return;
            }
            next.negotiation().replaced();
        }
        queued.remove(sa.localCookie());
    }

    /**
     * The peer does not take RFC 3554 ID_LIST: say so once, remember it, and offer the pools one range pair per
     * Quick Mode instead, in this initiation and every later one with that peer.
     */
    void idListRefused(IkeSa sa, ConnectionState c, Negotiation n, String how) {
        InetAddress peer = sa.remote().getAddress();
        ctx.peers().remember(peer, Compatibility.ONE_SUBNET_PER_QUICK_MODE);
        IkeContext.LOG.warn("event=ike_compatibility_fallback connection={} peer={} reason=\"the peer {}\" "
                + "fallback=one_quick_mode_per_range_pair", c.name(), IpLiterals.format(peer), how);
        ctx.events().compatibilityFallback(c.name(), IpLiterals.format(peer));
        if (!n.done()) {
            startRangePairs(sa, c, n);
        }
        n.replaced();
    }

    /**
     * An authenticated error notification: while we wait for Main Mode message 6 it ends the attempt (the responder
     * refused our proof); later it ends the Quick Mode it names (by our SPI), or our only one waiting for an answer
     * (strongSwan names SPI 0).
     */
    void peerError(IkeSa sa, NotificationPayload n) {
        if (sa.role() == Role.INITIATOR && sa.state() == IkeSaState.MM5_SENT) {
            // the responder refused our message 5 (a certificate, identity or signature), under this exchange's keys
            ctx.events().exchange("main_mode", "refused");
            mainModeFailed(sa, "the responder refused our authentication: " + n.notifyType());
            return;
        }
        List<QuickModeInitiator> pending = new ArrayList<>();
        for (Exchange e : sa.quickModes()) {
            if (e instanceof QuickModeInitiator && ((QuickModeInitiator) e).waiting()) {
                pending.add((QuickModeInitiator) e);
            }
        }
        for (QuickModeInitiator q : pending) {
            if (n.spi().length() == 4 && q.proposed(n.spi().intAt(0))) {
                q.peerRefused(n);
                return;
            }
        }
        if (pending.size() == 1) {
            pending.get(0).peerRefused(n);
        }
    }

    /**
     * Removes an IKE SA: its child SAs (with Deletes if {@code tellPeer}), then a Delete for the SA itself, its
     * exchanges (SPIs released) and the initiations that waited for it.
     */
    void removeSa(IkeSa sa, String why, boolean tellPeer) {
        if (ctx.table().byLocalCookie(sa.localCookie()) != sa) {
            return;
        }
        for (ChildSa child : List.copyOf(sa.children())) {
            ctx.children().remove(sa, child, tellPeer);
        }
        if (tellPeer && sa.established()) {
            ctx.informational().deleteIkeSa(sa);
        }
        ctx.table().remove(sa);
        attempts.remove(sa.localCookie());
        ctx.dpd().removed(sa);
        ctx.natKeepalive().removed(sa);
        if (sa.mainMode() != null) {
            sa.mainMode().abort(why);
        }
        for (Exchange e : sa.quickModes()) {
            e.abort(why);
        }
        List<Negotiation> ns = waiting.remove(sa.localCookie());
        if (ns != null) {
            for (Negotiation n : ns) {
                n.fail(why);
            }
        }
        ArrayDeque<QueuedQuickMode> q = queued.remove(sa.localCookie());
        if (q != null) {
            for (QueuedQuickMode m : q) {
                m.negotiation().quickModeFailed(why);
            }
        }
        // a responder SA whose cookie never came back is what a spoofed flood leaves: not worth a line each
        boolean neverAnswered = sa.role() == Role.RESPONDER && sa.state() == IkeSaState.MM2_SENT;
        sa.destroy();
        ctx.lifetimes().ikeRemoved(sa);
        IkeContext.LOG.atLevel(neverAnswered ? Level.DEBUG : Level.INFO)
                .log("event=ike_sa_removed connection={} remote={} icookie={} rcookie={} reason=\"{}\"",
                sa.connection(), Endpoints.text(sa.remote()), String.format("%016x", sa.initiatorCookie()),
                String.format("%016x", sa.responderCookie()), why);
    }

    /** Deletes the connection's child SAs and the IKE SAs it negotiated, with Delete notifications. */
    IkeResult terminate(String name) {
        ConnectionState c = ctx.connection(name);
        if (c == null) {
            return IkeResult.failed("no IKE connection named " + name);
        }
        if (c.negotiation() != null) {
            c.negotiation().fail("terminated");
        }
        int children = 0;
        int sas = 0;
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : List.copyOf(sa.children())) {
                if (ch.connection().equals(name)) {
                    ctx.children().remove(sa, ch, true);
                    children++;
                }
            }
            if (sa.connection().equals(name) && sa.children().isEmpty()) {
                removeSa(sa, "terminated", true);
                sas++;
            }
        }
        return IkeResult.ok("connection " + name + " terminated: " + children + " child SA pair(s), " + sas
                + " IKE SA(s) deleted");
    }

    /** The child SAs of connection {@code name}, over all IKE SAs. */
    List<ChildSa> children(String name) {
        List<ChildSa> out = new ArrayList<>();
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : sa.children()) {
                if (ch.connection().equals(name) && ch.outbound() != null) {
                    out.add(ch);
                }
            }
        }
        return out;
    }
}
