package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.Rekey;
import net.poolsa.ike.StartAction;
import net.poolsa.ike.job.IkeLifetimeJob;
import net.poolsa.ike.job.RekeyChildJob;
import net.poolsa.ike.job.RetireChildJob;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.Role;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.PortRole;

/**
 * Lifetimes and make-before-break rekeying of child and ISAKMP SAs.
 *
 * <p><b>Child SAs.</b> When a pair is installed, its rekey is planned at its soft time less a random share of up to
 * {@link Rekey#jitter()} (so that the peer, holding the same lifetime, is unlikely to start at the same instant);
 * the data plane's soft expiry (bytes, packets, the sequence-number limit, or the soft time itself if the plan was
 * late) starts it at once. The rekey is a Quick Mode for the same selectors. IKEv1 makes the order of installation
 * safe without extra messages (RFC 2409 §5.5):
 * <pre>
 * Initiator (rekeying)                                    Responder
 * HDR*, HASH(1), SA, Ni [, KE], IDci, IDcr --&gt;
 *                                                         new inbound installed, then
 *                       &lt;-- HDR*, HASH(2), SA, Nr [, KE], IDci, IDcr
 * new inbound installed, HASH(3) sent
 * HDR*, HASH(3) --&gt;
 *                                                         new outbound installed: the responder sends on it
 * new outbound installed {@link Rekey#OUTBOUND_SWITCH_MILLIS}
 * later: a responder may install its inbound SA only
 * on HASH(3) (strongSwan does), so the initiator waits
 * </pre>
 * The data plane sends on the newest outbound SA of a reqid, so each side switches when its new outbound SA goes in.
 * If both sides start a rekey of the same pair before either new pair is installed, both complete (RFC 2409 has no
 * collision handling); each side sees that the other's pair was installed after its own Quick Mode started, and both
 * keep the pair without the lowest of the four nonces (RFC 7296 §2.8.1's rule): the redundant one loses its outbound
 * SA at once and is deleted after the grace.
 * The replaced pair is then kept for {@link Rekey#graceSeconds()} (the peer may still send on it until HASH(3)
 * reaches it, and packets already in flight arrive) and deleted with a Delete payload for our old inbound SPI; the
 * peer removes its old pair on that Delete or at the end of its own grace, whichever comes first. A hard expiry
 * removes the pair (Delete to the peer) and, unless a successor is installed or the start action is none,
 * negotiates the selectors again.
 *
 * <p><b>ISAKMP SAs.</b> At the (jittered) phase-1 soft time an ISAKMP SA that carries child SAs is replaced by a new
 * Main Mode with the same peer; when a new ISAKMP SA with the peer is established (either role), the child SAs of
 * the older one move to it untouched, and the older one is deleted (Delete payload) after the grace period. An
 * ISAKMP SA that reaches its hard lifetime is deleted with whatever it still carries. A lifetime in kilobytes (RFC 2409
 * Appendix A life type 2) counts the encrypted bodies of the messages the ISAKMP SA protects (Main Mode 5 and 6, Quick
 * Modes, Informationals), sent and received; its soft limit starts the same replacement, on the SA's initiator first
 * ({@link Rekey#ikeSoftBytes}, {@link Rekey#ikeResponderSoftBytes}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.2.1">RFC 4301 §4.4.2.1 (soft and hard lifetimes)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.3.1">RFC 2407 §4.6.3.1 (RESPONDER-LIFETIME)</a>
 */
final class Lifetimes {
    /** Wait before another attempt after a child rekey failed (the pair still lives until its hard limit). */
    static final long RETRY_MILLIS = 30_000;

    private final IkeContext ctx;
    /** Our cookies of the Main Modes started to replace an ISAKMP SA, until they are established or fail. */
    private final Set<Long> ikeRekeys = new HashSet<>();

    private record Found(IkeSa sa, ChildSa child) {
    }

    /** Orders Quick Mode starts and pair installations (see {@link #tick()}). */
    private long sequence;

    Lifetimes(IkeContext ctx) {
        this.ctx = ctx;
    }

    /** A child SA pair is fully installed (both roles): plan its rekey and retire the pairs it replaces. */
    void childInstalled(IkeSa sa, ChildSa child) {
        ConnectionState c = ctx.connection(child.connection());
        Rekey r = c == null ? Rekey.DEFAULT : c.config().rekey();
        long soft = child.inbound().lifetime().softSeconds();
        if (soft > 0) {
            long after = r.rekeyAfter(soft * 1000, uniform());
            child.rekeyTimer(ctx.scheduler().schedule(new RekeyChildJob(ctx.jobs(), child.spiIn()), after),
                    ctx.now() + after);
        }
        child.installed(tick());
        boolean replaced = false;
        for (IkeSa other : ctx.table().all()) {
            if (!other.samePeerIdentity(sa)) { // another host behind the same address (a NAT) keeps its pairs
                continue;
            }
            for (ChildSa old : List.copyOf(other.children())) {
                if (old == child || old.replaced() || old.outbound() == null || !sameSelectors(old, child)) {
                    continue;
                }
                // installed after our Quick Mode for the same selectors started: both ends rekeyed at once
                boolean collision = old.installed() > child.negotiationStarted();
                if (collision) {
                    boolean ours = Arrays.compareUnsigned(child.lowerNonce(), old.lowerNonce()) < 0;
                    redundant(ours ? child : old, ours ? old : child, r);
                    if (ours) {
                        return;
                    }
                    continue;
                }
                old.replaced(true);
                ctx.scheduler().schedule(new RetireChildJob(ctx.jobs(), old.spiIn()), r.graceSeconds() * 1000);
                IkeContext.LOG.info("event=child_sa_rekeyed connection={} old_spi_in=0x{} old_spi_out=0x{} "
                        + "new_spi_in=0x{} new_spi_out=0x{} grace={}s", child.connection(), hex(old.spiIn()),
                        hex(old.spiOut()), hex(child.spiIn()), hex(child.spiOut()), r.graceSeconds());
                replaced = true;
            }
        }
        if (replaced) {
            ctx.events().rekey("child", "ok");
        }
    }

    /**
     * {@code child} and {@code kept} were set up by a simultaneous rekey and {@code child} holds the lowest of the four
     * nonces: it is redundant (RFC 2409 has no rule for this; RFC 7296 §2.8.1's is one both ends can apply alike, and
     * each end detects the overlap, since each started its own Quick Mode before the other's pair was installed).
     * Its outbound SA goes at once, so we send on {@code kept}, as the peer does; its inbound SA receives what the
     * peer sent on it until the grace ends, then the pair is deleted with a Delete. Not counted as a rekey: the pair
     * both replaced was counted when the first of the two was installed.
     */
    private void redundant(ChildSa child, ChildSa kept, Rekey r) {
        logCollision(child, kept);
        child.replaced(true);
        IpsecProtocol proto = child.proposal().protocol();
        ctx.kernel().deleteSa(Direction.OUTBOUND, child.spiOut(), proto, child.pair().reqid());
        child.outbound(null);
        if (child.ahOutbound() != null) {
            ctx.kernel().deleteSa(Direction.OUTBOUND, child.ahSpiOut(), IpsecProtocol.AH, child.pair().reqid());
            child.ahOutbound(null);
        }
        ctx.scheduler().schedule(new RetireChildJob(ctx.jobs(), child.spiIn()), r.graceSeconds() * 1000);
    }

    private static void logCollision(ChildSa redundant, ChildSa kept) {
        IkeContext.LOG.info("event=child_rekey_collision connection={} kept_spi_in=0x{} kept_spi_out=0x{} "
                + "redundant_spi_in=0x{} redundant_spi_out=0x{} reason=\"both ends rekeyed at once; the pair with "
                + "the lowest nonce goes\"", kept.connection(), hex(kept.spiIn()), hex(kept.spiOut()),
                hex(redundant.spiIn()), hex(redundant.spiOut()));
    }

    /**
     * Whether a pair of the same connection and selectors with the peer of {@code sa} carries our traffic now:
     * {@code child} is then a rekey, whose initiator waits {@link Rekey#OUTBOUND_SWITCH_MILLIS} before it sends on it.
     */
    boolean replacesInstalledPair(IkeSa sa, ChildSa child) {
        for (IkeSa other : ctx.table().all()) {
            if (other.remote().getAddress().equals(sa.remote().getAddress())) {
                for (ChildSa old : other.children()) {
                    if (old != child && !old.replaced() && old.outbound() != null && sameSelectors(old, child)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean sameSelectors(ChildSa a, ChildSa b) {
        return a.connection().equals(b.connection()) && a.pair().index() == b.pair().index();
    }

    /** The next number of the sequence that orders Quick Mode starts and pair installations on this engine. */
    long tick() {
        return ++sequence;
    }

    /** The planned rekey of the pair with inbound SPI {@code spiIn} is due. */
    void rekeyChild(int spiIn) {
        Found f = byInbound(spiIn);
        if (f != null && f.child().outbound() != null && !f.child().replaced() && !f.child().rekeying()) {
            startRekey(f.sa(), f.child(), "soft lifetime (planned)");
        }
    }

    /** The grace period of the replaced pair with inbound SPI {@code spiIn} is over. */
    void retireChild(int spiIn) {
        Found f = byInbound(spiIn);
        if (f != null && f.child().replaced()) {
            IkeContext.LOG.info("event=child_sa_retired connection={} spi_in=0x{} spi_out=0x{}", f.child().connection(),
                    hex(f.child().spiIn()), hex(f.child().spiOut()));
            ctx.children().remove(f.sa(), f.child(), true);
        }
    }

    /**
     * The data plane crossed a limit of one of our SAs: a soft one starts the rekey now (unless under way or
     * replaced), a hard one (the SA is already removed) takes the pair down, with a Delete to the peer, and
     * negotiates the selectors again when nothing replaced them.
     */
    void expired(Direction direction, int spi, IpsecProtocol protocol, boolean hard) {
        Found f = direction == Direction.INBOUND ? byInbound(spi) : byOutbound(spi, protocol);
        if (f == null) {
            return;
        }
        ChildSa child = f.child();
        if (!hard) {
            if (child.outbound() != null && !child.replaced() && !child.rekeying()) {
                startRekey(f.sa(), child, "soft limit in the data plane (" + direction.name().toLowerCase() + ")");
            }
            return;
        }
        IkeContext.LOG.info("event=child_sa_expired connection={} spi_in=0x{} spi_out=0x{} direction={} replaced={}",
                child.connection(), hex(child.spiIn()), hex(child.spiOut()), direction.name().toLowerCase(),
                child.replaced());
        ctx.children().remove(f.sa(), child, true);
        ConnectionState c = ctx.connection(child.connection());
        if (child.replaced() || c == null || c.config().startAction() == StartAction.NONE || hasSuccessor(child)) {
            return;
        }
        InetSocketAddress[] ends = peerEnds(f.sa());
        ctx.initiations().rekey(c, child.pair(), ends).thenAccept(r -> IkeContext.LOG.info(
                "event=child_renegotiated connection={} ok={} message=\"{}\"", c.name(), r.ok(), r.message()));
    }

    private void startRekey(IkeSa sa, ChildSa child, String why) {
        ConnectionState c = ctx.connection(child.connection());
        if (c == null) {
            return;
        }
        child.rekeying(true);
        IkeContext.LOG.info("event=child_rekey_start connection={} spi_in=0x{} spi_out=0x{} reason=\"{}\"", c.name(),
                hex(child.spiIn()), hex(child.spiOut()), why);
        ctx.initiations().rekey(c, child.pair(), peerEnds(sa)).thenAccept(r -> {
            child.rekeying(false);
            if (r.ok()) {
                return;
            }
            ctx.events().rekey("child", "failed");
            IkeContext.LOG.warn("event=child_rekey_failed connection={} spi_in=0x{} retry_in={}s reason=\"{}\"",
                    c.name(), hex(child.spiIn()), RETRY_MILLIS / 1000, r.message());
            if (byInbound(child.spiIn()) != null && !child.replaced()) {
                child.rekeyTimer(ctx.scheduler().schedule(new RekeyChildJob(ctx.jobs(), child.spiIn()), RETRY_MILLIS),
                        ctx.now() + RETRY_MILLIS);
            }
        });
    }

    /** Whether another installed pair of the same connection and selectors exists (it carries the traffic). */
    private boolean hasSuccessor(ChildSa gone) {
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : sa.children()) {
                if (ch != gone && ch.connection().equals(gone.connection()) && ch.pair().index() == gone.pair().index()
                        && !ch.replaced()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** An ISAKMP SA is established (either role): plan its lifetime and take over the children of older ones. */
    void ikeEstablished(IkeSa sa) {
        ConnectionState c = ctx.connection(sa.connection());
        Rekey r = c == null ? Rekey.DEFAULT : c.config().rekey();
        sa.establishedAt(ctx.now());
        long life = sa.lifetimeSeconds();
        if (life > 0) {
            long after = r.rekeyAfter(r.ikeSoftSeconds(life) * 1000, uniform());
            sa.lifetimeTimers(ctx.scheduler().schedule(new IkeLifetimeJob(ctx.jobs(), sa.localCookie(), false), after),
                    ctx.now() + after,
                    ctx.scheduler().schedule(new IkeLifetimeJob(ctx.jobs(), sa.localCookie(), true), life * 1000));
        }
        long kilobytes = sa.lifetimeKilobytes();
        if (kilobytes > 0) {
            long hardBytes = kilobytes > Long.MAX_VALUE / 1024 ? Long.MAX_VALUE : kilobytes * 1024;
            long cookie = sa.localCookie();
            // a job, not a call: the limit is reached while a message is encrypted or decrypted under the SA
            long soft = sa.role() == Role.INITIATOR ? Rekey.ikeSoftBytes(hardBytes) : Rekey.ikeResponderSoftBytes(hardBytes);
            sa.byteLimits(soft, hardBytes, hard -> ctx.scheduler().schedule(
                    new IkeLifetimeJob(ctx.jobs(), cookie, hard), 0));
        }
        boolean ours = ikeRekeys.remove(sa.localCookie());
        boolean replaced = false;
        for (IkeSa old : ctx.table().all()) {
            // the same peer authenticated again, from whichever of its addresses; not another identity from its address
            if (old == sa || !old.established() || old.replaced() || !old.connection().equals(sa.connection())
                    || !old.samePeerIdentity(sa)) {
                continue;
            }
            List<ChildSa> moved = List.copyOf(old.children());
            sa.children().addAll(moved);
            old.children().clear();
            old.replaced(true);
            ctx.scheduler().schedule(new IkeLifetimeJob(ctx.jobs(), old.localCookie(), true), r.graceSeconds() * 1000);
            IkeContext.LOG.info("event=ike_sa_rekeyed connection={} old_icookie={} new_icookie={} children_moved={} "
                    + "grace={}s", sa.connection(), String.format("%016x", old.initiatorCookie()),
                    String.format("%016x", sa.initiatorCookie()), moved.size(), r.graceSeconds());
            replaced = true;
        }
        if (replaced || ours) {
            ctx.events().rekey("ike", replaced ? "ok" : "failed");
        }
    }

    /**
     * Moves the child SAs {@code old} still holds to the newest other established ISAKMP SA with its peer (the same
     * proven identity), before {@code old} goes: its pairs are alive, and IKEv1 child SAs do not depend on the ISAKMP SA that negotiated them.
     * This happens when a Quick Mode that began on an ISAKMP SA ends after a newer one replaced it (a restarted peer's
     * two Main Modes side by side), or when the peer deletes such an ISAKMP SA; without it both ends lost that pair at
     * the end of the grace. Nothing moves when no other ISAKMP SA with the peer is established.
     */
    void moveChildren(IkeSa old, String why) {
        if (old.children().isEmpty()) {
            return;
        }
        IkeSa to = null;
        for (IkeSa s : ctx.table().all()) {
            if (s != old && s.established() && !s.replaced()
                    && s.samePeerIdentity(old) && (to == null || to.establishedBefore(s))) { // not another host behind its NAT
                to = s;
            }
        }
        if (to == null) {
            return;
        }
        List<ChildSa> moved = List.copyOf(old.children());
        to.children().addAll(moved);
        old.children().clear();
        IkeContext.LOG.info("event=ike_children_moved connection={} from_icookie={} to_icookie={} children_moved={} "
                + "reason=\"{}\"", old.connection(), String.format("%016x", old.initiatorCookie()),
                String.format("%016x", to.initiatorCookie()), moved.size(), why);
    }

    /** An ISAKMP SA's soft ({@code hard} false) or hard lifetime, or the end of its grace after a rekey. */
    void ikeLifetime(long localCookie, boolean hard) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa == null || !sa.established()) {
            return;
        }
        if (hard) {
            if (sa.replaced()) {
                moveChildren(sa, "a Quick Mode finished on it after its replacement");
            }
            long kb = sa.lifetimeKilobytes();
            ctx.initiations().removeSa(sa, sa.replaced() ? "replaced by a new ISAKMP SA"
                    : kb > 0 && sa.protectedBytes() >= kb * 1024 ? "phase-1 lifetime of " + kb + " KiB reached"
                    : "phase-1 lifetime expired", true);
            return;
        }
        ConnectionState c = ctx.connection(sa.connection());
        InetSocketAddress[] ends = peerEnds(sa);
        if (sa.replaced() || sa.children().isEmpty() || c == null || ends == null) {
            return; // an idle ISAKMP SA is not renewed: the next initiation makes a new one
        }
        IkeContext.LOG.info("event=ike_rekey_start connection={} icookie={} remote={} protected_bytes={}", c.name(),
                String.format("%016x", sa.initiatorCookie()), Endpoints.text(sa.remote()), sa.protectedBytes());
        ikeRekeys.add(MainModeInitiator.start(ctx, c, ends[0], ends[1]).localCookie());
    }

    /**
     * The phase-1 lifetime in kilobytes both sides keep: the shorter of the initiator's offer ({@code offered}) and
     * our own ({@code ours}), either of which may be 0 (none). As for seconds, a responder accepts a longer offer and
     * keeps its own limit; the initiator learns the responder's choice only from the returned transform, which is its
     * own offer.
     */
    static long agreeKilobytes(long offered, long ours) {
        if (offered == 0 || ours == 0) {
            return Math.max(offered, ours);
        }
        return Math.min(offered, ours);
    }

    /** An ISAKMP SA left the table: a Main Mode that was to replace another one failed. */
    void ikeRemoved(IkeSa sa) {
        if (ikeRekeys.remove(sa.localCookie())) {
            ctx.events().rekey("ike", "failed");
            IkeContext.LOG.warn("event=ike_rekey_failed connection={} remote={}", sa.connection(),
                    Endpoints.text(sa.remote()));
        }
    }

    /** Our IKE socket on the SA's local address and the peer's IKE port: where a new Main Mode goes. */
    private InetSocketAddress[] peerEnds(IkeSa sa) {
        InetSocketAddress local = ctx.network().local(sa.local().getAddress(), PortRole.IKE);
        if (local == null) {
            return null;
        }
        return new InetSocketAddress[] {local,
                new InetSocketAddress(sa.remote().getAddress(), ctx.network().peerPort(PortRole.IKE))};
    }

    private Found byInbound(int spi) {
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : sa.children()) {
                if (ch.spiIn() == spi || (ch.ahInbound() != null && ch.ahInbound().spi() == spi)) {
                    return new Found(sa, ch);
                }
            }
        }
        return null;
    }

    private Found byOutbound(int spi, IpsecProtocol protocol) {
        for (IkeSa sa : ctx.table().all()) {
            for (ChildSa ch : sa.children()) {
                if (ch.outbound() != null && ((ch.spiOut() == spi && ch.proposal().protocol() == protocol)
                        || (protocol == IpsecProtocol.AH && ch.ahOutbound() != null && ch.ahSpiOut() == spi))) {
                    return new Found(sa, ch);
                }
            }
        }
        return null;
    }

    /** Uniform in [0, 1) from the engine's randomness (seeded in tests). */
    private double uniform() {
        byte[] b = ctx.random().bytes(4);
        long v = ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
        return v / (double) (1L << 32);
    }

    private static String hex(int spi) {
        return String.format("%08x", spi);
    }
}
