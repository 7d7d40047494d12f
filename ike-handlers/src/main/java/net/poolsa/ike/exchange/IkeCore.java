package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.ChildSaSnapshot;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.IkeResult;
import net.poolsa.ike.IkeSaSnapshot;
import net.poolsa.ike.StartAction;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.job.JobTarget;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.Exchange;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.transport.InboundIkeDatagram;

/**
 * The IKEv1 engine's state and logic, without threads or sockets of its own: every method runs on the one IKE
 * thread ({@link Scheduler}), the network is an {@link IkeNetwork}. {@link net.poolsa.ike.IkeEngine} puts it on the
 * transport's event loop; tests wire two of them back to back.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409">RFC 2409</a>
 */
public final class IkeCore implements JobTarget {
    /** How often an IKE SA behind a NAT sends a NAT-keepalive by default: strongSwan's {@code charon.keep_alive}. */
    public static final long DEFAULT_NAT_KEEPALIVE_MILLIS = 20_000;

    private final IkeContext ctx;
    private final Dispatcher dispatcher;

    public IkeCore(IkeNetwork network, Scheduler scheduler, IkeRandom random, IpsecKernel kernel, IkeEvents events,
                   Timers timers, KeyExport keyExport) {
        this(network, scheduler, random, kernel, events, timers, keyExport, null);
    }

    /**
     * An engine core whose Diffie-Hellman and signature computations run on {@code crypto} (null: on the IKE thread); the results
     * come back through {@code scheduler}. {@code random} must then be safe to draw from on the pool's threads.
     */
    public IkeCore(IkeNetwork network, Scheduler scheduler, IkeRandom random, IpsecKernel kernel, IkeEvents events,
                   Timers timers, KeyExport keyExport, Executor crypto) {
        this.ctx = new IkeContext(network, scheduler, random, kernel, events, timers, keyExport, crypto);
        ctx.wire(this, new ChildInstaller(ctx), new Informational(ctx), new Initiations(ctx));
        this.dispatcher = new Dispatcher(ctx);
        ctx.offload().dispatcher(dispatcher);
    }

    /** One datagram from the transport; the transport releases it afterwards. */
    public void received(InboundIkeDatagram datagram) {
        dispatcher.received(datagram);
    }

    public CompletableFuture<IkeResult> initiate(String connection) {
        return ctx.initiations().initiate(connection);
    }

    public IkeResult terminate(String connection) {
        return ctx.initiations().terminate(connection);
    }

    /** A PROTECT policy with {@code reqid} had no SA: a trap connection negotiates. */
    public void acquire(int reqid) {
        for (ConnectionState c : ctx.connections().values()) {
            if (c.ownsReqid(reqid) && c.config().startAction() == StartAction.TRAP) {
                if (c.negotiation() != null) {
                    return; // traffic while its negotiation runs (the data plane asks again every second): one log line
                }
                IkeContext.LOG.info("event=ike_acquire connection={} reqid={}", c.name(), reqid);
                initiate(c.name()).thenAccept(r -> IkeContext.LOG.info("event=ike_acquire_done connection={} ok={} "
                        + "message=\"{}\"", c.name(), r.ok(), r.message()));
                return;
            }
        }
    }

    /**
     * Applies a configuration: removed connections are terminated (Deletes sent, SAs and policies removed, key
     * wiped), changed ones terminated and set up again, added ones set up (start: negotiate now; trap: install the
     * policies whose traffic triggers the negotiation), unchanged ones keep their SAs (the duplicate key is wiped).
     */
    public void configure(Collection<IkeConnection> connections) {
        Map<String, IkeConnection> next = new LinkedHashMap<>();
        for (IkeConnection c : connections) {
            if (next.put(c.name(), c) != null) {
                throw new IllegalArgumentException("two IKE connections named " + c.name());
            }
        }
        for (ConnectionState c : new ArrayList<>(ctx.connections().values())) {
            IkeConnection n = next.get(c.name());
            if (n == null || !n.equals(c.config())) {
                remove(c, n == null ? "removed from the configuration" : "changed in the configuration");
            }
        }
        List<String> start = new ArrayList<>();
        for (IkeConnection n : next.values()) {
            ConnectionState old = ctx.connection(n.name());
            if (old != null) {
                if (old.config().psk() != n.psk()) {
                    n.wipe(); // unchanged: the engine keeps the copy it owns already
                }
                continue;
            }
            ConnectionState c = new ConnectionState(n);
            ctx.connections().put(n.name(), c);
            IkeContext.LOG.info("event=ike_connection_added connection={} start={}", n.name(), n.startAction());
            if (n.startAction() == StartAction.TRAP) {
                ctx.children().trap(c);
            } else if (n.startAction() == StartAction.START) {
                start.add(n.name());
            }
        }
        for (String name : start) {
            initiate(name).thenAccept(r -> IkeContext.LOG.info("event=ike_start_done connection={} ok={} message=\"{}\"",
                    name, r.ok(), r.message()));
        }
    }

    private void remove(ConnectionState c, String why) {
        ctx.initiations().terminate(c.name());
        for (IkeSa sa : ctx.table().all()) {
            if (sa.connection().equals(c.name())) {
                ctx.initiations().removeSa(sa, why, true);
            }
        }
        ctx.children().removePolicies(c);
        ctx.connections().remove(c.name());
        ctx.dpd().forget(c.name());
        c.config().wipe();
        IkeContext.LOG.info("event=ike_connection_removed connection={} reason=\"{}\"", c.name(), why);
    }

    /** Sets the NAT-keepalive interval of every IKE SA (0: none); see {@link NatKeepalive}. */
    public void natKeepaliveInterval(long intervalMillis) {
        ctx.natKeepalive().interval(intervalMillis);
    }

    /** The data plane asks for a DPD probe over the path from {@code local} to {@code remote} (RFC 3706). */
    public void probePath(java.net.InetAddress local, java.net.InetAddress remote) {
        ctx.dpd().probe(local, remote);
    }

    /** The IKE SAs and their child SAs, for status. */
    public List<IkeSaSnapshot> snapshot() {
        long now = ctx.now();
        List<IkeSaSnapshot> out = new ArrayList<>();
        for (IkeSa sa : ctx.table().all()) {
            List<ChildSaSnapshot> children = new ArrayList<>();
            for (ChildSa ch : sa.children()) {
                if (ch.outbound() == null) {
                    continue; // still negotiating
                }
                long hard = ch.inbound().lifetime().hardSeconds();
                children.add(new ChildSaSnapshot(ch.spiIn(), ch.spiOut(), ch.proposalName(),
                        ch.pair().localProtected().toString(), ch.pair().remoteProtected().toString(),
                        ch.localOuter().toString(), ch.remoteOuter().toString(), (now - ch.createdMillis()) / 1000,
                        secondsUntil(ch.rekeyAtMillis(), now),
                        hard == 0 ? -1 : secondsUntil(ch.createdMillis() + hard * 1000, now), ch.replaced()));
            }
            long life = sa.established() ? sa.lifetimeSeconds() : 0;
            out.add(new IkeSaSnapshot(sa.connection(), sa.local(), sa.remote(), String.format("%016x", sa.initiatorCookie()),
                    String.format("%016x", sa.responderCookie()), sa.role().label(), sa.state().name(),
                    sa.proposal() == null ? "" : sa.proposal().name(), (now - sa.createdMillis()) / 1000,
                    sa.nat().natted(), children, secondsUntil(sa.rekeyAtMillis(), now),
                    life == 0 ? -1 : secondsUntil(sa.establishedMillis() + life * 1000, now), sa.replaced(),
                    sa.lifetimeKilobytes(), sa.protectedBytes()));
        }
        return out;
    }

    /** Whole seconds from {@code now} until {@code atMillis} (0 once due), -1 when {@code atMillis} is 0 (none). */
    private static long secondsUntil(long atMillis, long now) {
        return atMillis == 0 ? -1 : Math.max(0, (atMillis - now + 999) / 1000);
    }

    /** Deletes every SA (with Delete notifications), removes every policy this engine installed, wipes the keys. */
    public void shutdown() {
        for (IkeSa sa : ctx.table().all()) {
            ctx.initiations().removeSa(sa, "shutting down", true);
        }
        for (ConnectionState c : new ArrayList<>(ctx.connections().values())) {
            if (c.negotiation() != null) {
                c.negotiation().fail("shutting down");
            }
            ctx.children().removePolicies(c);
            c.config().wipe();
        }
        ctx.connections().clear();
        ctx.cookies().destroy();
    }

    @Override
    public void retransmit(long localCookie, int messageId, int sent) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa == null) {
            return;
        }
        Exchange e = messageId == 0 ? sa.mainMode() : sa.quickMode(messageId);
        if (e != null) {
            e.retransmit(sent);
        }
    }

    @Override
    public void expireHalfOpen(long localCookie) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa != null && !sa.established()) {
            ctx.events().exchange("main_mode", "timeout");
            ctx.initiations().removeSa(sa, "half-open for " + ctx.timers().halfOpenMillis() / 1000.0 + " s in "
                    + sa.state(), false);
        }
    }

    /** The data plane crossed a soft or hard limit of SA {@code spi} (see {@link Lifetimes#expired}). */
    public void expired(Direction direction, int spi, IpsecProtocol protocol, boolean hard) {
        ctx.lifetimes().expired(direction, spi, protocol, hard);
    }

    @Override
    public void rekeyChild(int spiIn) {
        ctx.lifetimes().rekeyChild(spiIn);
    }

    @Override
    public void retireChild(int spiIn) {
        ctx.lifetimes().retireChild(spiIn);
    }

    @Override
    public void ikeLifetime(long localCookie, boolean hard) {
        ctx.lifetimes().ikeLifetime(localCookie, hard);
    }

    @Override
    public void deadPeerCheck(long localCookie) {
        ctx.dpd().check(localCookie);
    }

    @Override
    public void natKeepaliveDue(long localCookie) {
        ctx.natKeepalive().send(localCookie);
    }

    @Override
    public void dpdRestart(String connection) {
        ctx.dpd().restart(connection);
    }

    @Override
    public void switchOutbound(long localCookie, int messageId) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa != null && sa.quickMode(messageId) instanceof QuickModeInitiator qm) {
            qm.switchNow();
        }
    }

    @Override
    public void forgetExchange(long localCookie, int messageId) {
        IkeSa sa = ctx.table().byLocalCookie(localCookie);
        if (sa != null && sa.quickMode(messageId) instanceof QuickModeInitiator) {
            ((QuickModeInitiator) sa.quickMode(messageId)).forget();
        }
    }
}
