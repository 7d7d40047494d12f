package net.poolsa.ike.exchange;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import io.netty.buffer.Unpooled;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.poolsa.esp.kernel.IpsecKernel;
import net.poolsa.ike.IkeEvents;
import net.poolsa.ike.crypto.IkeRandom;
import net.poolsa.ike.job.JobTarget;
import net.poolsa.ike.job.RetransmitJob;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.job.Timers;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.IkeSaTable;
import net.poolsa.ike.sa.PeerMemory;
import net.poolsa.ike.sa.ResponderCookies;
import net.poolsa.ike.sa.SourceRateLimit;
import net.poolsa.ike.transport.Endpoints;
import net.poolsa.ike.transport.OutboundIkeDatagram;

/**
 * What every exchange needs: the network, time, randomness, the kernel to install through, the events to report,
 * the tables (IKE SAs, connections, what worked per peer) and the parts that act across exchanges
 * ({@link ChildInstaller}, {@link Informational}, {@link Initiations}). One per engine, confined to its event loop.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 */
public final class IkeContext {
    static final Logger LOG = LoggerFactory.getLogger("net.poolsa.ike");

    private final IkeNetwork network;
    private final Scheduler scheduler;
    private final IkeRandom random;
    private final IpsecKernel kernel;
    private final IkeEvents events;
    private final Timers timers;
    private final KeyExport keyExport;
    private final IkeSaTable table = new IkeSaTable();
    private final PeerMemory peers = new PeerMemory();
    private final Map<String, ConnectionState> connections = new LinkedHashMap<>();
    private final DeadPeerDetection dpd = new DeadPeerDetection(this);
    private final NatKeepalive natKeepalive = new NatKeepalive(this, IkeCore.DEFAULT_NAT_KEEPALIVE_MILLIS);
    private final ResponderCookies cookies;
    private final SourceRateLimit newMainModes;
    private JobTarget jobs;
    private ChildInstaller children;
    private Informational informational;
    private Initiations initiations;
    private final Lifetimes lifetimes = new Lifetimes(this);
    private final Offload offload;

    IkeContext(IkeNetwork network, Scheduler scheduler, IkeRandom random, IpsecKernel kernel, IkeEvents events,
               Timers timers, KeyExport keyExport, Executor crypto) {
        this.offload = new Offload(this, crypto);
        this.network = network;
        this.scheduler = scheduler;
        this.random = random;
        this.kernel = kernel;
        this.events = events;
        this.timers = timers;
        this.keyExport = keyExport;
        // a secret verifies for two lifetimes: at least as long as a half-open SA may wait for message 3
        this.cookies = new ResponderCookies(random, Math.max(ResponderCookies.SECRET_LIFETIME_MILLIS,
                timers.halfOpenMillis()));
        this.newMainModes = new SourceRateLimit(random);
        table.onHalfOpenChange(events::halfOpen);
    }

    void wire(JobTarget jobs, ChildInstaller children, Informational informational, Initiations initiations) {
        this.jobs = jobs;
        this.children = children;
        this.informational = informational;
        this.initiations = initiations;
    }

    public IkeNetwork network() {
        return network;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public long now() {
        return scheduler.nowMillis();
    }

    public IkeRandom random() {
        return random;
    }

    public IpsecKernel kernel() {
        return kernel;
    }

    public IkeEvents events() {
        return events;
    }

    public Timers timers() {
        return timers;
    }

    KeyExport keyExport() {
        return keyExport;
    }

    public IkeSaTable table() {
        return table;
    }

    public PeerMemory peers() {
        return peers;
    }

    /** Our responder cookies (RFC 2408 §2.5.3). */
    ResponderCookies cookies() {
        return cookies;
    }

    /** New Main Modes per source (denial of service). */
    SourceRateLimit newMainModes() {
        return newMainModes;
    }

    JobTarget jobs() {
        return jobs;
    }

    ChildInstaller children() {
        return children;
    }

    Informational informational() {
        return informational;
    }

    Initiations initiations() {
        return initiations;
    }

    /** Where the Diffie-Hellman and signature work runs. */
    Offload offload() {
        return offload;
    }

    Lifetimes lifetimes() {
        return lifetimes;
    }

    DeadPeerDetection dpd() {
        return dpd;
    }

    NatKeepalive natKeepalive() {
        return natKeepalive;
    }

    Map<String, ConnectionState> connections() {
        return connections;
    }

    ConnectionState connection(String name) {
        return connections.get(name);
    }

    /** The connections whose outer pools hold both IKE addresses, in configuration order. */
    List<ConnectionState> connectionsFor(InetAddress local, InetAddress remote) {
        List<ConnectionState> out = new ArrayList<>();
        for (ConnectionState c : connections.values()) {
            if (c.config().localOuter().contains(local) && c.config().remoteOuter().contains(remote)) {
                out.add(c);
            }
        }
        return out;
    }

    /** Sends {@code datagram} from the SA's current local socket to its current peer endpoint. */
    void send(IkeSa sa, byte[] datagram) {
        sendTo(sa.local(), sa.remote(), datagram, false);
    }

    void sendTo(InetSocketAddress local, InetSocketAddress remote, byte[] datagram) {
        sendTo(local, remote, datagram, false);
    }

    /**
     * Sends {@code datagram}; {@code expendable}: it answers a source that has not proved its address, and the
     * network may drop it rather than let it delay other datagrams ({@link IkeNetwork#sendExpendable}).
     */
    void sendTo(InetSocketAddress local, InetSocketAddress remote, byte[] datagram, boolean expendable) {
        try {
            OutboundIkeDatagram d = new OutboundIkeDatagram(local, remote, Unpooled.wrappedBuffer(datagram));
            if (expendable) {
                network.sendExpendable(d);
            } else {
                network.send(d);
            }
        } catch (IllegalArgumentException e) {
            // the socket went away (a reload removed the address): the retransmission or expiry deals with it
            LOG.warn("event=ike_send_failed local={} remote={} error=\"{}\"", Endpoints.text(local),
                    Endpoints.text(remote), e.getMessage());
        }
    }

    /** Schedules the retransmission check after send number {@code sent} of exchange {@code messageId}. */
    Scheduler.Cancellable retransmitLater(IkeSa sa, int messageId, int sent) {
        return scheduler.schedule(new RetransmitJob(jobs, sa.localCookie(), messageId, sent), timers.waitAfter(sent));
    }

    /** A fresh non-zero message ID not used by an exchange of {@code sa}. */
    int newMessageId(IkeSa sa) {
        while (true) {
            byte[] b = random.bytes(4);
            int id = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            if (id != 0 && sa.quickMode(id) == null && !sa.seenMessageIds().contains(id)) {
                return id;
            }
        }
    }
}
