package net.poolsa.ike.exchange;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.Dpd;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.job.DpdCheckJob;
import net.poolsa.ike.job.DpdRestartJob;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.VendorIdPayload;
import net.poolsa.ike.message.VendorIds;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaState;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.PortRole;

/**
 * Dead peer detection (RFC 3706) over every path of an IKE SA's pools. Both Main Mode roles announce the DPD vendor
 * ID, so we always answer a peer's R-U-THERE, inside an authenticated Informational exchange and from the address
 * it came to, back to the address it came from. When the connection has DPD ({@link Dpd#enabled()}) and the peer
 * announced it (RFC 3706 §5.2: no R-U-THERE to a peer that did not), every {@link Dpd#delayMillis()} an R-U-THERE with
 * a fresh sequence number goes over each path: our bound IKE addresses inside the local outer pool times the peer's
 * IKE address and the single addresses of its outer pool (of the same family); behind a NAT only the SA's own pair.
 *
 * <p>Only an R-U-THERE-ACK whose HASH(1) verified under the SA, whose message ID is new, whose SPI is the SA's cookie
 * pair and which echoes one of the last {@link #OUTSTANDING_PER_PATH} sequence numbers sent over a path and not answered
 * before counts (RFC 3706 §5.5, §6): it
 * proves its path ({@link net.poolsa.ike.IkeEvents#pathConfirmed}, the data plane's evidence) when it came back over
 * the pair the R-U-THERE went out on, and that the peer lives in any case. A forged, replayed or stale answer
 * changes nothing and is dropped ({@link IkeDropReason#STALE_DPD_ACK}). A path without an answer for
 * {@link Dpd#timeoutMillis()} is reported once ({@code timeout}); with no answer over any path for that long the peer
 * is dead and the connection's {@link Dpd.Action} applies.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5">RFC 3706 §5</a>
 */
final class DeadPeerDetection {
    /**
     * R-U-THEREs per path whose answer is still taken: a late ACK within this many sends counts. The data plane may ask
     * for one every busy probe interval (40 ms by default) while an IKE event loop busy with Diffie-Hellman answers a
     * second late, so the window is wide; only the echo of a number we sent counts in any case.
     */
    static final int OUTSTANDING_PER_PATH = 32;
    /**
     * How long the R-U-THEREs of an SA hold back while one of its Quick Modes waits for the peer. strongSwan keeps the
     * CBC IV state of only three phase-2 exchanges per ISAKMP SA ({@code charon.max_ikev1_exchanges}, least recently
     * used dropped, iv_manager.c) and every Informational takes a slot, ours and its ACK alike: the R-U-THEREs the
     * data plane asks for every busy probe interval while traffic flows push the Quick Mode out between its messages,
     * and charon can no longer decrypt HASH(3) (seen with 5.9.8: "invalid HASH_V1 payload length", every rekey
     * under traffic failed). Bounded, counted from the first R-U-THERE held back, so that a Quick Mode that hangs
     * does not blind DPD.
     */
    static final long QUIET_DURING_QUICK_MODE_MILLIS = 2000;

    private final IkeContext ctx;
    private final Map<Long, State> states = new HashMap<>();
    private final Map<String, Scheduler.Cancellable> restarts = new HashMap<>();
    /** Restart attempts per connection since its peer was declared dead: each takes the next path. */
    private final Map<String, Integer> attempts = new HashMap<>();
    /**
     * Our cookies of the SAs with DPD by the address pair of each of their paths, oldest first: the data plane asks
     * for a probe over a path every busy probe interval, which must not cost a scan of every peer.
     */
    private final Map<PathKey, List<Long>> byPath = new HashMap<>();

    private record PathKey(InetAddress local, InetAddress remote) {
    }

    DeadPeerDetection(IkeContext ctx) {
        this.ctx = ctx;
    }

    /** One pair of IKE endpoints, ours and the peer's, and what DPD saw on it. */
    private static final class Path {
        final InetSocketAddress local;
        InetSocketAddress remote;
        long lastAck;
        boolean timedOut;

        Path(InetSocketAddress local, InetSocketAddress remote, long now) {
            this.local = local;
            this.remote = remote;
            this.lastAck = now;
        }
    }

    private record Sent(Path path, int sequence) {
    }

    /** DPD of one IKE SA. */
    private static final class State {
        final String connection;
        final Dpd dpd;
        final List<Path> paths;
        final Map<Integer, Sent> outstanding = new LinkedHashMap<>();
        int nextSequence;
        long lastAck;
        /** The peer has shown that it holds the SA (always, for the initiator: message 6 came). */
        boolean confirmed;
        /** Since when R-U-THEREs hold back for a Quick Mode in flight; -1 while none does. */
        long quietSince = -1;
        Scheduler.Cancellable timer = Scheduler.Cancellable.NONE;

        State(String connection, Dpd dpd, List<Path> paths, int firstSequence, long now) {
            this.connection = connection;
            this.dpd = dpd;
            this.paths = paths;
            this.nextSequence = firstSequence;
            this.lastAck = now;
        }
    }

    static VendorIdPayload vendorId() {
        return new VendorIdPayload(VendorIds.DPD);
    }

    /** Whether the peer's Main Mode message 1 or 2 announced DPD (RFC 3706 §5.2). */
    static boolean announced(IsakmpMessage m) {
        for (VendorIdPayload v : m.payloads(VendorIdPayload.class)) {
            if (v.data().equals(VendorIds.DPD)) {
                return true;
            }
        }
        return false;
    }

    /** Main Mode is through: start the rounds if the connection wants DPD and the peer does it. */
    void established(IkeSa sa, ConnectionState conn) {
        Dpd dpd = conn.config().dpd();
        if (!dpd.enabled()) {
            return;
        }
        if (!sa.peerDpd()) {
            IkeContext.LOG.warn("event=dpd_unsupported connection={} remote={} reason=\"the peer did not announce DPD "
                    + "(RFC 3706 §5.2): no R-U-THERE is sent, its paths live on its ESP packets only\"", conn.name(),
                    Endpoints.text(sa.remote()));
            return;
        }
        for (IkeSa other : ctx.table().all()) {
            // a rekeyed ISAKMP SA carries no Quick Mode yet: what the peer announced on its predecessor still holds
            if (other != sa && other.peerAnnouncedOuter() && other.samePeerIdentity(sa)
                    && other.remote().getAddress().equals(sa.remote().getAddress())) {
                sa.peerAnnouncedOuter(true);
            }
        }
        long now = ctx.now();
        byte[] r = ctx.random().bytes(4);
        // RFC 3706 §5.1: the first sequence number is random; the top bit clear leaves room before it wraps
        int first = ((r[0] & 0x7f) << 24) | ((r[1] & 0xff) << 16) | ((r[2] & 0xff) << 8) | (r[3] & 0xff);
        State s = new State(conn.name(), dpd, paths(sa, conn.config(), now), first, now);
        s.confirmed = sa.role() == Role.INITIATOR;
        State old = states.put(sa.localCookie(), s);
        if (old != null) {
            old.timer.cancel();
            unindex(sa.localCookie(), old);
        }
        for (Path p : s.paths) {
            List<Long> cookies = byPath.computeIfAbsent(new PathKey(p.local.getAddress(), p.remote.getAddress()),
                    k -> new ArrayList<>(1));
            if (!cookies.contains(sa.localCookie())) {
                cookies.add(sa.localCookie());
            }
        }
        cancel(restarts.remove(conn.name()));
        attempts.remove(conn.name());
        IkeContext.LOG.info("event=dpd_started connection={} paths={} delay_ms={} timeout_ms={} action={}", conn.name(),
                describe(s.paths), dpd.delayMillis(), dpd.timeoutMillis(), dpd.action().name().toLowerCase(
                        java.util.Locale.ROOT));
        schedule(sa, s);
    }

    /**
     * A fresh message of {@code sa} ({@link Received#fresh()}: authenticated, and not a replay) came from
     * {@code remote} to {@code local}: the peer lives (RFC 3706 §5.1: authenticated traffic proves it). The path does
     * not: a message that came over it says nothing of what we send over it, and only an answer to our own R-U-THERE
     * ({@link #acked}) proves both directions. Before, the peer's R-U-THEREs kept a path whose outgoing side had failed
     * alive, and the IKE SA stayed on it.
     */
    void heard(IkeSa sa, InetSocketAddress local, InetSocketAddress remote) {
        State s = states.get(sa.localCookie());
        if (s == null) {
            return;
        }
        s.lastAck = ctx.now();
        s.confirmed = true;
    }

    /** The IKE SA's peer endpoint moved from {@code was} (a new NAT mapping): its own pair's R-U-THEREs follow it. */
    void followed(IkeSa sa, InetSocketAddress was) {
        State s = states.get(sa.localCookie());
        if (s == null) {
            return;
        }
        for (Path p : s.paths) {
            if (p.remote.equals(was) && p.local.equals(sa.local())) {
                p.remote = sa.remote();
            }
        }
    }

    /** The IKE SA leaves the table: its rounds stop. */
    void removed(IkeSa sa) {
        State s = states.remove(sa.localCookie());
        if (s != null) {
            s.timer.cancel();
            unindex(sa.localCookie(), s);
        }
    }

    private void unindex(long cookie, State s) {
        for (Path p : s.paths) {
            PathKey k = new PathKey(p.local.getAddress(), p.remote.getAddress());
            List<Long> cookies = byPath.get(k);
            if (cookies != null && cookies.remove(Long.valueOf(cookie)) && cookies.isEmpty()) {
                byPath.remove(k);
            }
        }
    }

    /** The connection is gone: a pending restart is called off. */
    void forget(String connection) {
        cancel(restarts.remove(connection));
        attempts.remove(connection);
    }

    private void schedule(IkeSa sa, State s) {
        s.timer = ctx.scheduler().schedule(new DpdCheckJob(ctx.jobs(), sa.localCookie()), s.dpd.delayMillis());
    }

    /** A round: the peer is declared dead when no path answered for the timeout, else every path gets an R-U-THERE. */
    void check(long localCookie) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        State s = states.get(localCookie);
        if (sa == null || s == null || !sa.established()) {
            return;
        }
        long now = ctx.now();
        long silent = now - s.lastAck;
        if (silent >= s.dpd.timeoutMillis() && (silent >= 2 * s.dpd.timeoutMillis() || !exchangeInFlight(sa))
                && (s.confirmed || silent >= unconfirmedVerdictMillis(s))) {
            dead(sa, s, now);
            return;
        }
        for (Path p : s.paths) {
            if (!p.timedOut && now - p.lastAck >= s.dpd.timeoutMillis()) {
                p.timedOut = true;
                ctx.events().dpd(s.connection, p.remote.getAddress(), "timeout");
                IkeContext.LOG.warn("event=dpd_path_dead connection={} local={} remote={} silent_ms={}", s.connection,
                        Endpoints.text(p.local), Endpoints.text(p.remote), now - p.lastAck);
            }
        }
        for (Path p : s.paths) {
            send(sa, s, p);
        }
        schedule(sa, s);
    }

    /**
     * The data plane wants authenticated evidence for the path from {@code local} to {@code remote} now (its probe
     * timers, BFD-style): one R-U-THERE over it, under the first established IKE SA with DPD that has this path, found
     * by the path's address pair (no scan of the peers).
     */
    void probe(InetAddress local, InetAddress remote) {
        List<Long> cookies = byPath.get(new PathKey(local, remote));
        if (cookies == null) {
            return;
        }
        for (Long cookie : cookies) {
            IkeSa sa = ctx.table().byLocalCookie(cookie);
            State s = states.get(cookie);
            if (sa == null || s == null || !sa.established()) {
                continue;
            }
            for (Path p : s.paths) {
                if (p.local.getAddress().equals(local) && p.remote.getAddress().equals(remote)) {
                    send(sa, s, p);
                    return;
                }
            }
        }
    }

    /**
     * A responder holds the SA from the moment it sent message 6, the initiator only once that arrives: a lost message
     * 6 is repaired by the initiator's retransmissions of message 5 (after 4 s, then 7.2 s more with the default
     * timers), and until then it cannot answer an R-U-THERE. So a peer that never answered under the SA is given
     * that long, two retransmissions and the timeout, before it is dead.
     */
    private long unconfirmedVerdictMillis(State s) {
        return ctx.timers().waitAfter(1) + ctx.timers().waitAfter(2) + s.dpd.timeoutMillis();
    }

    /**
     * A Quick Mode of the SA waits for the peer: the Diffie-Hellman work of both ends can hold their IKE event loops
     * (and so the DPD answers) for longer than a short DPD timeout, so the verdict waits one more timeout then.
     */
    private static boolean exchangeInFlight(IkeSa sa) {
        for (net.poolsa.ike.sa.Exchange e : sa.quickModes()) {
            if (e.awaitingPeer()) {
                return true;
            }
        }
        return false;
    }

    private void send(IkeSa sa, State s, Path p) {
        if (exchangeInFlight(sa)) {
            long now = ctx.now();
            s.quietSince = s.quietSince < 0 ? now : s.quietSince;
            if (now - s.quietSince < QUIET_DURING_QUICK_MODE_MILLIS) {
                return;
            }
        } else {
            s.quietSince = -1;
        }
        int seq = s.nextSequence++;
        s.outstanding.put(seq, new Sent(p, seq));
        int perPath = 0;
        Sent oldest = null;
        for (Sent x : s.outstanding.values()) {
            if (x.path() == p && perPath++ == 0) {
                oldest = x;
            }
        }
        if (perPath > OUTSTANDING_PER_PATH) {
            s.outstanding.remove(oldest.sequence()); // never answered: too late to count now
        }
        ctx.informational().sendProtectedVia(sa, p.local, p.remote,
                List.of(NotificationPayload.dpd(false, sa.initiatorCookie(), sa.responderCookie(), seq)));
        ctx.events().dpd(s.connection, p.remote.getAddress(), "sent");
    }

    /**
     * An authenticated R-U-THERE-ACK that came from {@code remote} to {@code local}.
     *
     * @throws Refusal when it echoes no sequence number we wait for (stale, replayed or never sent)
     */
    void acked(IkeSa sa, NotificationPayload n, InetSocketAddress local, InetSocketAddress remote)
            throws IkeProtocolException {
        requireCookies(sa, n);
        int seq = n.dpdSequence();
        State s = states.get(sa.localCookie());
        Sent sent = s == null ? null : s.outstanding.remove(seq);
        if (sent == null) {
            throw Refusal.silent(IkeDropReason.STALE_DPD_ACK, String.format("R-U-THERE-ACK %08x from %s: no "
                    + "R-U-THERE with that sequence number is waiting on %s", seq, remote, sa));
        }
        long now = ctx.now();
        s.lastAck = now;
        s.confirmed = true;
        Path p = sent.path();
        if (!p.remote.getAddress().equals(remote.getAddress()) || !p.local.getAddress().equals(local.getAddress())) {
            IkeContext.LOG.info("event=dpd_ack_elsewhere connection={} sent={}>{} came={}>{}", s.connection,
                    Endpoints.text(p.local.getAddress()), Endpoints.text(p.remote.getAddress()),
                    Endpoints.text(remote.getAddress()), Endpoints.text(local.getAddress()));
            return; // the peer lives, but this answer proves no path of ours
        }
        p.lastAck = now;
        if (p.timedOut) {
            p.timedOut = false;
            IkeContext.LOG.info("event=dpd_path_alive connection={} local={} remote={}", s.connection,
                    Endpoints.text(p.local), Endpoints.text(p.remote));
        }
        for (Path own : s.paths) {
            if (own != p && own.timedOut && own.local.equals(sa.local()) && own.remote.equals(sa.remote())) {
                // the IKE SA's own pair is silent: its Deletes and Quick Modes take the pair that answered
                sa.endpoints(p.local, p.remote);
                IkeContext.LOG.info("event=ike_sa_moved connection={} from={}>{} to={}>{} cause=dpd", s.connection,
                        Endpoints.text(own.local), Endpoints.text(own.remote), Endpoints.text(p.local),
                        Endpoints.text(p.remote));
            }
        }
        ctx.events().dpd(s.connection, p.remote.getAddress(), "acked");
        ctx.events().pathConfirmed(local.getAddress(), remote.getAddress());
    }

    /**
     * The peer's authenticated R-U-THERE: the ACK with its sequence number goes back the way it came, new or not (a
     * peer may repeat one it got no answer to).
     *
     * @return whether its sequence number is new (RFC 3706 §7: the sequence number guards against replay), so that
     *         the message proves the peer alive now
     */
    boolean answer(IkeSa sa, NotificationPayload n, InetSocketAddress local, InetSocketAddress remote)
            throws IkeProtocolException {
        requireCookies(sa, n);
        int seq = n.dpdSequence();
        ctx.informational().sendProtectedVia(sa, local, remote,
                List.of(NotificationPayload.dpd(true, sa.initiatorCookie(), sa.responderCookie(), seq)));
        return sa.newPeerDpdSequence(seq);
    }

    /** RFC 3706 §5.1: the SPI of an R-U-THERE(-ACK) is CKY-I | CKY-R of the SA it travels under. */
    private static void requireCookies(IkeSa sa, NotificationPayload n) throws Refusal {
        Octets spi = n.spi();
        if (spi.length() != NotificationPayload.COOKIE_PAIR_LENGTH || spi.longAt(0) != sa.initiatorCookie()
                || spi.longAt(8) != sa.responderCookie()) {
            throw Refusal.silent(IkeDropReason.MALFORMED, n.notifyType() + " whose SPI is not the cookie pair of " + sa);
        }
    }

    private void dead(IkeSa sa, State s, long now) {
        String action = s.dpd.action().name().toLowerCase(java.util.Locale.ROOT);
        IkeContext.LOG.warn("event=dpd_peer_dead connection={} remote={} paths={} silent_ms={} action={}", s.connection,
                Endpoints.text(sa.remote()), s.paths.size(), now - s.lastAck, action);
        ctx.events().dpdPeerDead(s.connection, action);
        String connection = s.connection;
        Dpd dpd = s.dpd;
        ctx.initiations().removeSa(sa, "dead peer detection: no answer for " + (now - s.lastAck) + " ms", true);
        if (dpd.action() == Dpd.Action.RESTART) {
            restart(connection);
        }
    }

    /**
     * Negotiates {@code connection} again, and keeps at it every DPD timeout until Main Mode is through: a Main Mode
     * that got no answer at all by then is abandoned and sent afresh, so a peer that comes back (a path returns, or it
     * restarted) is met within a timeout instead of after the exponential retransmission backoff. Each attempt goes
     * over the next pair of the pools' addresses, so a path that returns is found within one attempt per path, and
     * each costs one Main Mode message 1 (no retransmission within a timeout shorter than the first one's).
     */
    void restart(String connection) {
        restarts.remove(connection);
        ConnectionState c = ctx.connection(connection);
        if (c == null || !c.config().dpd().enabled() || !ctx.initiations().children(connection).isEmpty()) {
            return;
        }
        for (IkeSa sa : ctx.table().all()) {
            if (sa.connection().equals(connection) && sa.role() == Role.INITIATOR && sa.state() == IkeSaState.MM1_SENT) {
                ctx.initiations().mainModeFailed(sa, "no answer to Main Mode within the DPD timeout of "
                        + c.config().dpd().timeoutMillis() + " ms: sent again");
            }
        }
        int attempt = attempts.merge(connection, 1, Integer::sum) - 1;
        IkeContext.LOG.info("event=dpd_restart connection={} attempt={}", connection, attempt + 1);
        ctx.initiations().initiate(connection, attempt);
        restarts.put(connection, ctx.scheduler().schedule(new DpdRestartJob(ctx.jobs(), connection),
                c.config().dpd().timeoutMillis()));
    }

    /**
     * The paths of {@code sa}: (its own pair first) each bound local IKE address inside the local outer pool with the
     * peer's IKE address and each single address of the remote outer pool, same family, same port role as the SA.
     */
    private List<Path> paths(IkeSa sa, IkeConnection c, long now) {
        List<Path> out = new ArrayList<>();
        out.add(new Path(sa.local(), sa.remote(), now));
        if (!poolPaths(sa)) {
            return out; // a NAT maps the SA's own pair only
        }
        // without a NAT the SA stays on port 500; under forced encapsulation on 4500
        PortRole role = sa.nat().natted() ? PortRole.NAT_T : PortRole.IKE;
        List<InetAddress> remotes = new ArrayList<>();
        remotes.add(sa.remote().getAddress());
        for (AddressPool.Prefix p : c.remoteOuter().prefixes()) {
            if (p.length() == (p.isV4() ? 32 : 128) && !remotes.contains(p.network())) {
                remotes.add(p.network());
            }
        }
        for (InetSocketAddress l : ctx.network().locals(role)) {
            if (!c.localOuter().contains(l.getAddress().getAddress())) {
                continue;
            }
            for (InetAddress r : remotes) {
                if (r.getAddress().length != l.getAddress().getAddress().length) {
                    continue;
                }
                InetSocketAddress remote = new InetSocketAddress(r, r.equals(sa.remote().getAddress())
                        ? sa.remote().getPort() : ctx.network().peerPort(role));
                boolean known = false;
                for (Path x : out) {
                    known |= x.local.equals(l) && x.remote.equals(remote);
                }
                if (!known) {
                    out.add(new Path(l, remote, now));
                }
            }
        }
        return out;
    }

    /**
     * Whether the pairs of the pools are {@code sa}'s paths: without NAT traversal, or under encapsulation that no
     * NAT caused: none in front of us (NAT-D), and the peer announced its outer pool, which it does only when none
     * is in front of it (its NAT-D may claim one: that is how forced encapsulation asks the peer for ESP in UDP).
     */
    static boolean poolPaths(IkeSa sa) {
        return !sa.nat().natted() || (!sa.nat().localBehindNat() && sa.peerAnnouncedOuter());
    }

    /**
     * A Quick Mode of {@code sa} carried the peer's outer pool ({@code announced}, null when it did not): under forced
     * encapsulation the pairs of the pools become DPD paths now (they could not be at Main Mode, before any Quick
     * Mode), on port 4500.
     */
    void outerAnnounced(IkeSa sa, AddressPool announced) {
        if (announced == null || sa.peerAnnouncedOuter()) {
            return;
        }
        sa.peerAnnouncedOuter(true);
        State s = states.get(sa.localCookie());
        ConnectionState conn = s == null ? null : ctx.connection(s.connection);
        if (conn == null || !sa.nat().natted() || !poolPaths(sa)) {
            return;
        }
        int before = s.paths.size();
        for (Path p : paths(sa, conn.config(), ctx.now())) {
            boolean known = false;
            for (Path x : s.paths) {
                known |= x.local.equals(p.local) && x.remote.equals(p.remote);
            }
            if (!known) {
                s.paths.add(p);
                List<Long> cookies = byPath.computeIfAbsent(new PathKey(p.local.getAddress(), p.remote.getAddress()),
                        k -> new ArrayList<>(1));
                if (!cookies.contains(sa.localCookie())) {
                    cookies.add(sa.localCookie());
                }
            }
        }
        if (s.paths.size() > before) {
            IkeContext.LOG.info("event=dpd_paths_added connection={} paths={} reason=\"encapsulation without a NAT: the "
                    + "peer announced its outer pool\"", s.connection, describe(s.paths));
        }
    }

    private static String describe(List<Path> paths) {
        StringBuilder b = new StringBuilder();
        for (Path p : paths) {
            b.append(b.length() == 0 ? "" : ",").append(IpLiterals.format(p.local.getAddress())).append('>')
                    .append(IpLiterals.format(p.remote.getAddress()));
        }
        return b.toString();
    }

    private static void cancel(Scheduler.Cancellable c) {
        if (c != null) {
            c.cancel();
        }
    }
}
