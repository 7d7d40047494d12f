package net.poolsa.ike.exchange;

import java.util.HashMap;
import java.util.Map;

import net.poolsa.ike.job.NatKeepaliveJob;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.OutboundNatKeepalive;

/**
 * NAT-keepalives (RFC 3948 §2.3): an established IKE SA that found itself behind a NAT (its peer's NAT-D hash of our
 * address did not match, {@link net.poolsa.ike.sa.NatState#localBehindNat()}) sends the one octet 0xFF from its own
 * NAT-T endpoint to the peer's every interval, so that the NAT keeps the UDP mapping that IKE and ESP-in-UDP share
 * while neither has anything to send (DPD off, or a peer that did not announce it). Otherwise the NAT forgets the
 * mapping after its UDP timeout and the peer cannot reach us until we send again.
 *
 * <p>As strongSwan ({@code charon.keep_alive}, COND_NAT_HERE): only the side behind the NAT sends; the peer's
 * mapping needs no help from it, and forced encapsulation ({@code udp-encapsulation: {}}) without a NAT in front of
 * us sends none, since there is no mapping to keep. Replaced IKE SAs stop (the newer one keeps the mapping).
 * Unlike strongSwan, a keepalive goes every interval whatever else was sent: what the data plane sent is not known
 * here, and one byte per interval costs nothing. One interval for the engine ({@link #interval}); 0 sends none.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3</a>
 */
final class NatKeepalive {
    private final IkeContext ctx;
    private long intervalMillis;
    /** The next keepalive of each IKE SA that sends them, by our cookie. */
    private final Map<Long, Scheduler.Cancellable> timers = new HashMap<>();

    NatKeepalive(IkeContext ctx, long intervalMillis) {
        this.ctx = ctx;
        this.intervalMillis = intervalMillis;
    }

    long intervalMillis() {
        return intervalMillis;
    }

    /** Main Mode is through: the SA sends keepalives from now on if it is behind a NAT. */
    void established(IkeSa sa) {
        if (sends(sa)) {
            IkeContext.LOG.info("event=nat_keepalive_started connection={} local={} remote={} interval_ms={}",
                    sa.connection(), Endpoints.text(sa.local()), Endpoints.text(sa.remote()), intervalMillis);
            schedule(sa);
        }
    }

    /** The IKE SA leaves the table: no more keepalives. */
    void removed(IkeSa sa) {
        Scheduler.Cancellable t = timers.remove(sa.localCookie());
        if (t != null) {
            t.cancel();
        }
    }

    /**
     * A new interval for every IKE SA, now: each one's next keepalive comes one new interval from now. The same interval
     * again (a reload that did not change it) changes nothing.
     */
    void interval(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("NAT-keepalive interval " + millis + " ms < 0");
        }
        if (millis == intervalMillis) {
            return;
        }
        intervalMillis = millis;
        timers.values().forEach(Scheduler.Cancellable::cancel);
        timers.clear();
        for (IkeSa sa : ctx.table().all()) {
            if (sends(sa)) {
                schedule(sa);
            }
        }
    }

    /** The job fired: one keepalive from the SA's NAT-T endpoint to the peer's, then the next one planned. */
    void send(long localCookie) {
        timers.remove(localCookie);
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa == null || !sends(sa)) {
            return;
        }
        try {
            // the SA's own endpoints: after Main Mode message 5 they are the NAT-T sockets, and remote follows the
            // peer's mapping when it changes (Dispatcher)
            ctx.network().sendNatKeepalive(new OutboundNatKeepalive(sa.local(), sa.remote()));
        } catch (IllegalArgumentException e) {
            // the socket went away (a reload removed the address): the SA's own exchanges report that
            IkeContext.LOG.debug("event=nat_keepalive_not_sent local={} error=\"{}\"", Endpoints.text(sa.local()),
                    e.getMessage());
        }
        schedule(sa);
    }

    private boolean sends(IkeSa sa) {
        return intervalMillis > 0 && sa.established() && !sa.replaced() && sa.nat().natted() && sa.nat().localBehindNat();
    }

    private void schedule(IkeSa sa) {
        timers.put(sa.localCookie(), ctx.scheduler().schedule(new NatKeepaliveJob(ctx.jobs(), sa.localCookie()),
                intervalMillis));
    }
}
