package net.poolsa.ike.sa;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.poolsa.ike.crypto.IkeRandom;

/**
 * The IKE SAs, by our own cookie (which we chose, so it is unique here): a message names the SA by the cookie
 * pair, and ours is the responder cookie if we responded, the initiator cookie if we initiated. A responder's SA
 * is also found by the peer's initiator cookie and address, so that a retransmitted first message finds the state
 * it created. Confined to the IKE event loop.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3</a>
 */
public final class IkeSaTable {
    /** Most IKE SAs held at once, half-open ones included: a flood of first messages cannot take more memory. */
    public static final int MAX_SAS = 10_000;

    private final Map<Long, IkeSa> byLocalCookie = new LinkedHashMap<>();
    private final Map<PeerCookie, IkeSa> byPeerCookie = new HashMap<>();

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

    public void add(IkeSa sa) {
        byLocalCookie.put(sa.localCookie(), sa);
        if (sa.role() == Role.RESPONDER) {
            byPeerCookie.put(new PeerCookie(sa.initiatorCookie(), sa.remote().getAddress()), sa);
        }
    }

    public void remove(IkeSa sa) {
        byLocalCookie.remove(sa.localCookie(), sa);
        if (sa.role() == Role.RESPONDER) {
            byPeerCookie.remove(new PeerCookie(sa.initiatorCookie(), sa.remote().getAddress()), sa);
        }
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
