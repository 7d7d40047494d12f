package net.poolsa.ike.sa;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import net.poolsa.ike.crypto.IkeRandom;

/**
 * The IKE SAs, by our own cookie (which we chose, so it is unique here): a message names the SA by the cookie
 * pair, and ours is the responder cookie if we responded, the initiator cookie if we initiated. A responder's SA
 * is also found by the peer's initiator cookie and address, so that a retransmitted first message finds the state
 * it created. Confined to the IKE event loop.
 *
 * <p>Responder SAs whose initiator has not yet come back with our cookie (Main Mode message 3) are <em>half-open</em>:
 * anyone can make one with one spoofed datagram. At most {@link #MAX_HALF_OPEN} exist; the oldest one goes to make
 * room for a new one ({@link #oldestHalfOpen()}), as a SYN cache does, so that a flood fills the cap but a genuine
 * peer, which answers within its round-trip time, still gets through.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3</a>
 */
public final class IkeSaTable {
    /** Most IKE SAs held at once, half-open ones included: a flood of first messages cannot take more memory. */
    public static final int MAX_SAS = 10_000;
    /**
     * Most half-open responder SAs held at once. At the {@link #HALF_OPEN_BYTES} each measured, 4096 take about
     * 6 MiB (22 MiB if every one came with the largest first message taken); a flood of N first messages a second
     * evicts each after 4096/N seconds, so a peer whose message 3 comes back sooner than that completes (4 s at
     * 1000 a second).
     */
    public static final int MAX_HALF_OPEN = 4096;
    /**
     * Heap one half-open SA keeps (SA, Main Mode state, our message 2, the initiator's SA payload, table entries,
     * expiry job), measured for strongSwan's first message of one proposal; a larger SA payload adds its own size
     * (at most {@code MainModeResponder.MAX_FIRST_MESSAGE_BYTES}). {@code DenialOfServiceTest} checks it.
     */
    public static final int HALF_OPEN_BYTES = 1536;

    private final Map<Long, IkeSa> byLocalCookie = new LinkedHashMap<>();
    private final Map<PeerCookie, IkeSa> byPeerCookie = new HashMap<>();
    /** Half-open responder SAs by our cookie, oldest first. */
    private final LinkedHashMap<Long, IkeSa> halfOpen = new LinkedHashMap<>();
    private IntConsumer halfOpenListener = n -> {
    };

    private record PeerCookie(long initiatorCookie, InetAddress peer) {
    }

    /** A fresh cookie of ours: random, not zero, not in use. */
    public long newCookie(IkeRandom random) {
        while (true) {
            long c = toLong(random.cookie());
            if (!byLocalCookie.containsKey(c)) {
                return c;
            }
        }
    }

    public boolean full() {
        return byLocalCookie.size() >= MAX_SAS;
    }

    /** Adds an SA; a responder's counts as half-open until {@link #cookieReturned}. */
    public void add(IkeSa sa) {
        byLocalCookie.put(sa.localCookie(), sa);
        if (sa.role() == Role.RESPONDER) {
            byPeerCookie.put(new PeerCookie(sa.initiatorCookie(), sa.remote().getAddress()), sa);
            if (!sa.established()) {
                halfOpen.put(sa.localCookie(), sa);
                halfOpenListener.accept(halfOpen.size());
            }
        }
    }

    public void remove(IkeSa sa) {
        byLocalCookie.remove(sa.localCookie(), sa);
        if (sa.role() == Role.RESPONDER) {
            byPeerCookie.remove(new PeerCookie(sa.initiatorCookie(), sa.remote().getAddress()), sa);
            cookieReturned(sa);
        }
    }

    /** The initiator came back with our cookie (message 3): the SA is no longer half-open. */
    public void cookieReturned(IkeSa sa) {
        if (halfOpen.remove(sa.localCookie(), sa)) {
            halfOpenListener.accept(halfOpen.size());
        }
    }

    public int halfOpenCount() {
        return halfOpen.size();
    }

    /** Whether a new half-open SA needs room: {@link #MAX_HALF_OPEN} exist. */
    public boolean halfOpenFull() {
        return halfOpen.size() >= MAX_HALF_OPEN;
    }

    /** The half-open SA held longest (the one to evict at the cap), or null. */
    public IkeSa oldestHalfOpen() {
        return halfOpen.isEmpty() ? null : halfOpen.values().iterator().next();
    }

    /** Told the half-open count each time it changes (the IKE event loop calls it). */
    public void onHalfOpenChange(IntConsumer listener) {
        this.halfOpenListener = listener;
    }

    public IkeSa byLocalCookie(long cookie) {
        return byLocalCookie.get(cookie);
    }

    /** The SA a message with this cookie pair belongs to, or null. */
    public IkeSa find(long initiatorCookie, long responderCookie) {
        IkeSa r = byLocalCookie.get(responderCookie);
        if (r != null && r.role() == Role.RESPONDER && r.initiatorCookie() == initiatorCookie) {
            return r;
        }
        IkeSa i = byLocalCookie.get(initiatorCookie);
        if (i != null && i.role() == Role.INITIATOR
                && (i.responderCookie() == responderCookie || i.responderCookie() == 0)) {
            return i;
        }
        return null;
    }

    /** Our responder SA for the peer's first message, if it created one already. */
    public IkeSa responderFor(long initiatorCookie, InetSocketAddress peer) {
        return byPeerCookie.get(new PeerCookie(initiatorCookie, peer.getAddress()));
    }

    public List<IkeSa> all() {
        return new ArrayList<>(byLocalCookie.values());
    }

    public int size() {
        return byLocalCookie.size();
    }

    private static long toLong(byte[] b) {
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }
}
