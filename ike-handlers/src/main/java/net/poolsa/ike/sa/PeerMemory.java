package net.poolsa.ike.sa;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

import net.poolsa.ike.pool.PoolIdentities.Compatibility;

/**
 * What worked with each peer (by its IKE address), kept for the life of the process: whether it takes an RFC 3554
 * ID_LIST in Quick Mode. A peer that answered an ID_LIST with other IDs (strongSwan falls back to host-to-host
 * selectors) or refused it gets one Quick Mode per range pair from then on, without trying ID_LIST again.
 * Bounded: the oldest entries go first.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 §3</a>
 */
public final class PeerMemory {
    public static final int MAX_PEERS = 4096;

    private final Map<InetAddress, Compatibility> peers = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Compatibility> eldest) {
            return size() > MAX_PEERS;
        }
    };

    /** How to offer a pool of several ranges to {@code peer}: ID_LIST until it failed once. */
    public Compatibility compatibility(InetAddress peer) {
        return peers.getOrDefault(peer, Compatibility.ID_LIST);
    }

    /** Whether anything is remembered for {@code peer}. */
    public boolean knows(InetAddress peer) {
        return peers.containsKey(peer);
    }

    public void remember(InetAddress peer, Compatibility c) {
        peers.put(peer, c);
    }
}
