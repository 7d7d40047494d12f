package net.poolsa.ike.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.StartAction;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.sa.IkeSa;
import net.poolsa.ike.sa.NatState;
import net.poolsa.ike.sa.Role;

/**
 * The outer pools an SA pair gets (docs/ikev1-pools.md §2): the configured/announced pools with a poolsa peer, the
 * IKE addresses with another, the negotiated protected pool in the host case, and never our own pool from behind a
 * NAT.
 */
class PoolPolicyTest {
    private static final String OURS = "192.0.2.1,198.51.100.201";
    private static final String THEIRS = "192.0.2.2,203.0.113.202";

    private static IkeSa sa(boolean poolsaPeer, NatState nat) {
        IkeSa sa = new IkeSa(Role.INITIATOR, 1, 2, "c", new InetSocketAddress("192.0.2.1", 4500),
                new InetSocketAddress("192.0.2.2", 4500), 0);
        sa.peerOuterPools(poolsaPeer);
        sa.nat(nat);
        return sa;
    }

    private static IkeConnection conn(SaMode mode, String localProtected, String remoteProtected) {
        return new IkeConnection("c", 7, mode, IpsecProtocol.ESP, AddressPool.parse(OURS), AddressPool.parse(THEIRS),
                AddressPool.parse(localProtected), AddressPool.parse(remoteProtected), List.of("aes128-sha256-modp2048"),
                List.of("aes128gcm16"), "k".getBytes(StandardCharsets.US_ASCII), Lifetime.UNLIMITED, 0, StartAction.NONE,
                false, 64, false);
    }

    @Test
    void aPoolsaPeerGetsOurConfiguredPoolAndWeTakeTheOneItAnnounced() {
        IkeConnection gw = conn(SaMode.TUNNEL, "198.51.100.0/25", "203.0.113.0/25");
        IkeSa sa = sa(true, NatState.NONE);
        assertEquals(AddressPool.parse(OURS), PoolPolicy.localOuter(sa, gw, gw.localProtected()));
        assertEquals(AddressPool.parse(THEIRS), PoolPolicy.remoteOuter(sa, gw, AddressPool.parse("203.0.113.202"),
                gw.remoteProtected()), "the announced pool plus the peer's IKE address");
    }

    @Test
    void anotherPeerGetsTheIkeAddressesOnly() {
        IkeConnection gw = conn(SaMode.TUNNEL, "198.51.100.0/25", "203.0.113.0/25");
        IkeSa sa = sa(false, NatState.NONE);
        assertEquals(AddressPool.parse("192.0.2.1"), PoolPolicy.localOuter(sa, gw, gw.localProtected()));
        assertEquals(AddressPool.parse("192.0.2.2"), PoolPolicy.remoteOuter(sa, gw, null, gw.remoteProtected()));
    }

    @Test
    void inTheHostCaseTheNegotiatedProtectedPoolIsTheOuterPool() {
        IkeConnection hosts = conn(SaMode.TRANSPORT, OURS, THEIRS);
        IkeSa sa = sa(false, NatState.NONE);
        assertEquals(AddressPool.parse(OURS), PoolPolicy.localOuter(sa, hosts, AddressPool.parse(OURS)));
        assertEquals(AddressPool.parse(THEIRS), PoolPolicy.remoteOuter(sa, hosts, null, AddressPool.parse(THEIRS)));
        // tunnel mode from a multihomed host (protected pool = outer pool) to a gateway
        IkeConnection host = conn(SaMode.TUNNEL, OURS, "203.0.113.0/25");
        assertEquals(AddressPool.parse(OURS), PoolPolicy.localOuter(sa, host, AddressPool.parse(OURS)));
        assertEquals(AddressPool.parse("192.0.2.2"), PoolPolicy.remoteOuter(sa, host, null,
                AddressPool.parse("203.0.113.0/25")), "the gateway side is no host");
        // a narrower claim of the peer's protected pool narrows its outer pool too, keeping the IKE address
        assertEquals(AddressPool.parse("192.0.2.2"), PoolPolicy.remoteOuter(sa, hosts, null, AddressPool.parse("192.0.2.2")));
    }

    @Test
    void behindANatWeNeitherAnnounceNorUseOurOwnPool() {
        IkeConnection gw = conn(SaMode.TUNNEL, "198.51.100.0/25", "203.0.113.0/25");
        IkeSa natted = sa(true, new NatState(Encapsulation.UDP_RFC, true, false, false));
        assertEquals(false, PoolPolicy.announces(natted));
        assertEquals(AddressPool.parse("192.0.2.1"), PoolPolicy.localOuter(natted, gw, gw.localProtected()));
        IkeSa forced = sa(true, new NatState(Encapsulation.UDP_RFC, false, true, true));
        assertEquals(true, PoolPolicy.announces(forced), "a pretended NAT hides no address");
    }
}
