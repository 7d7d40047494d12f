package net.poolsa.ike.exchange;

import java.net.InetAddress;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.pool.PoolIdentities;
import net.poolsa.ike.sa.IkeSa;

/**
 * Configuration is policy, the exchange is the claim (RFC 3554 §4: "a peer MUST NOT be allowed to claim addresses
 * it was not given"): a protected or outer pool a peer proposes is accepted only where the connection's configured
 * pool covers it, and what is installed is the pool announced (so within the configured one). A claim beyond is
 * INVALID-ID-INFORMATION with a log line that names both pools.
 *
 * <p>Outer pools: towards a peer that announced poolsa's outer-pool extension (and unless a NAT is in front of
 * us), ours is our configured outer pool
 * and its is the one it announced; towards another peer each side is its one IKE address, except in the host case
 * (transport mode, or a side whose protected pool is its outer pool), where the negotiated protected pool is also
 * the outer pool. The peer's current IKE address is always part of its outer pool.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
final class PoolPolicy {
    private PoolPolicy() {
    }

    /** The pool a Quick Mode ID carries, refused unless it selects all protocols and ports (our selectors do). */
    static AddressPool protectedPool(IdentificationPayload id, String which) throws IkeProtocolException {
        AddressPool p = PoolIdentities.toPool(id);
        if (PoolIdentities.selectorProtocol(id) != 0 || PoolIdentities.selectorPort(id) != 0) {
            throw Refusal.notify(IkeDropReason.INVALID_ID, NotifyType.INVALID_ID_INFORMATION, which + " " + id
                    + " selects protocol " + PoolIdentities.selectorProtocol(id) + " port "
                    + PoolIdentities.selectorPort(id) + "; poolsa connections protect all protocols and ports");
        }
        return p;
    }

    /** Refuses {@code claimed} unless {@code allowed} covers it. */
    static void check(String connection, String what, AddressPool claimed, AddressPool allowed) throws Refusal {
        if (!allowed.covers(claimed)) {
            throw Refusal.notify(IkeDropReason.INVALID_ID, NotifyType.INVALID_ID_INFORMATION, "connection "
                    + connection + ": the peer claims " + what + " [" + claimed + "] outside the configured ["
                    + allowed + "]");
        }
    }

    /**
     * Whether we announce our outer pool to {@code sa}'s peer: it understands the extension, and we are not behind
     * a NAT (NAT-D said so), whose other side could not reach our own addresses anyway.
     */
    static boolean announces(IkeSa sa) {
        return sa.peerOuterPools() && !sa.nat().localBehindNat();
    }

    /** Our outer pool for an SA pair negotiated with {@code sa}'s peer. */
    static AddressPool localOuter(IkeSa sa, IkeConnection c, AddressPool localProtected) {
        AddressPool ike = single(sa.local().getAddress());
        if (announces(sa)) {
            return c.localOuter().union(ike);
        }
        if (c.mode() == SaMode.TRANSPORT || c.localProtected().equals(c.localOuter())) {
            return localProtected.intersect(c.localOuter()).union(ike);
        }
        return ike;
    }

    /** The peer's outer pool: what it announced ({@code announced}, null if nothing), else as the class says. */
    static AddressPool remoteOuter(IkeSa sa, IkeConnection c, AddressPool announced, AddressPool remoteProtected) {
        AddressPool ike = single(sa.remote().getAddress());
        if (announced != null) {
            return announced.union(ike);
        }
        if (c.mode() == SaMode.TRANSPORT || c.remoteProtected().equals(c.remoteOuter())) {
            return remoteProtected.intersect(c.remoteOuter()).union(ike);
        }
        return ike;
    }

    static AddressPool single(InetAddress a) {
        return AddressPool.parse(IpLiterals.format(a));
    }
}
