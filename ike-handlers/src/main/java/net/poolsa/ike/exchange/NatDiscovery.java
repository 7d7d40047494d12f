package net.poolsa.ike.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NatDiscoveryPayload;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.VendorIdPayload;
import net.poolsa.ike.message.VendorIds;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.sa.NatState;

/**
 * NAT traversal for IKEv1 (RFC 3947): the vendor IDs of Main Mode messages 1 and 2, and the NAT-D payloads of
 * messages 3 and 4, each HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash, the peer's address first and
 * ours second. A NAT is between us when the hash of an address as the receiver sees it is not among those the
 * sender computed. Forced encapsulation sends a hash of no real address for our side, so that both ends see a NAT
 * (what strongSwan's {@code encap = yes} does).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3">RFC 3947 §3</a>
 */
final class NatDiscovery {
    private NatDiscovery() {
    }

    /** The NAT-T vendor IDs we send in message 1 (the RFC one, and the draft one strongSwan and others take). */
    static List<IsakmpPayload> vendorIds() {
        return List.of(new VendorIdPayload(VendorIds.NAT_T_RFC_3947), new VendorIdPayload(VendorIds.NAT_T_DRAFT_02_N));
    }

    /** What the peer's vendor IDs allow: RFC 3947, a draft, or nothing. */
    static Encapsulation variant(IsakmpMessage m) {
        Encapsulation best = Encapsulation.NONE;
        for (VendorIdPayload v : m.payloads(VendorIdPayload.class)) {
            if (v.data().equals(VendorIds.NAT_T_RFC_3947)) {
                return Encapsulation.UDP_RFC;
            }
            if (VendorIds.isNatTraversalDraft(v.data())) {
                best = Encapsulation.UDP_DRAFT;
            }
        }
        return best;
    }

    /** The draft vendor ID the peer sent (echoed in message 2 to a draft-only peer). */
    static Octets draftId(IsakmpMessage m) {
        for (VendorIdPayload v : m.payloads(VendorIdPayload.class)) {
            if (VendorIds.isNatTraversalDraft(v.data())) {
                return v.data();
            }
        }
        return VendorIds.NAT_T_DRAFT_02_N;
    }

    /** The two NAT-D payloads for a message from {@code local} to {@code remote}. */
    static List<IsakmpPayload> payloads(HashAlgorithm hash, long ci, long cr, InetSocketAddress local,
                                        InetSocketAddress remote, boolean force, boolean draft) {
        byte[] ours = force ? hash.hash(cookies(ci, cr), new byte[] {0}) : hash(hash, ci, cr, local);
        return List.of(new NatDiscoveryPayload(draft, Octets.of(hash(hash, ci, cr, remote))),
                new NatDiscoveryPayload(draft, Octets.of(ours)));
    }

    /**
     * What the peer's NAT-D payloads say, for a message that came from {@code remote} to {@code local}. Fewer than
     * two NAT-D payloads (the payload table allows none) mean the peer does no NAT-T after all.
     */
    static NatState evaluate(Encapsulation variant, IsakmpMessage m, HashAlgorithm hash, long ci, long cr,
                             InetSocketAddress local, InetSocketAddress remote, boolean force) {
        List<Octets> d = new ArrayList<>();
        for (NatDiscoveryPayload p : m.payloads(NatDiscoveryPayload.class)) {
            d.add(p.hash());
        }
        if (variant == Encapsulation.NONE || d.size() < 2) {
            return force && variant != Encapsulation.NONE ? new NatState(variant, false, false, true) : NatState.NONE;
        }
        boolean localSeen = d.get(0).equals(Octets.of(hash(hash, ci, cr, local)));
        boolean remoteSeen = false;
        Octets r = Octets.of(hash(hash, ci, cr, remote));
        for (int i = 1; i < d.size(); i++) {
            remoteSeen |= d.get(i).equals(r);
        }
        return new NatState(variant, !localSeen, !remoteSeen, force);
    }

    private static byte[] hash(HashAlgorithm hash, long ci, long cr, InetSocketAddress a) {
        int port = a.getPort();
        return hash.hash(cookies(ci, cr), a.getAddress().getAddress(), new byte[] {(byte) (port >>> 8), (byte) port});
    }

    private static byte[] cookies(long ci, long cr) {
        return Octets.ofCookies(ci, cr).toByteArray();
    }
}
