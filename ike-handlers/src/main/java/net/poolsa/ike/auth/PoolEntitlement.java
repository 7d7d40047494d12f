package net.poolsa.ike.auth;

import java.math.BigInteger;
import java.util.List;
import java.util.Objects;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;

/**
 * RFC 3554 §4 for certificate-authenticated peers: "a peer MUST NOT be allowed to claim addresses it was not
 * given". Every address of a pool the peer claims (its protected pool in IDci/IDcr, its outer pool in poolsa's
 * announcement) must be granted to it, either by its validated certificate (the subjectAltName iPAddress entries:
 * single addresses, and address+mask networks, see {@link PeerCertificate#addresses()}) or by the connection's
 * policy ({@code grantedByPolicy}: the addresses the operator grants this peer whatever its certificate says;
 * {@link AddressPool#EMPTY} when the certificate alone decides). A claim with any address outside both is refused
 * whole, with INVALID-ID-INFORMATION and a message that names the addresses not covered.
 *
 * <p>This is the entitlement; the engine's bound (the claim within the connection's configured pools) is a
 * separate check that still applies. Immutable; safe from any thread.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
public final class PoolEntitlement {
    private static final BigInteger V4_MAX = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    private static final BigInteger V6_MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    private final AddressPool grantedByPolicy;

    public PoolEntitlement(AddressPool grantedByPolicy) {
        this.grantedByPolicy = Objects.requireNonNull(grantedByPolicy, "policy grant");
    }

    /** Every address {@code peer} may claim: its certificate's plus the policy's. */
    public AddressPool entitled(PeerCertificate peer) {
        return peer.addresses().union(grantedByPolicy);
    }

    /**
     * Accepts {@code claimed} when every address of it is entitled; else refuses, naming the uncovered addresses.
     *
     * @param what which pool the peer claims, for the message ("protected pool", "outer pool")
     */
    public void check(PeerCertificate peer, String what, AddressPool claimed) throws AuthenticationRefusal {
        AddressPool uncovered = minus(claimed, entitled(peer));
        if (!uncovered.isEmpty()) {
            throw AuthenticationRefusal.poolNotCovered("peer " + Certificates.describe(peer.certificate())
                    + " claims " + what + " [" + claimed + "]: [" + uncovered + "] is neither in its certificate's "
                    + "subjectAltName [" + peer.addresses() + "]" + unusable(peer) + " nor granted by the connection ["
                    + grantedByPolicy + "]", uncovered);
        }
    }

    private static String unusable(PeerCertificate peer) {
        List<String> u = peer.unusableAddressEntries();
        return u.isEmpty() ? "" : " (ignored: " + String.join(", ", u) + ")";
    }

    /** The addresses of {@code a} that are not in {@code b}. */
    static AddressPool minus(AddressPool a, AddressPool b) {
        return a.intersect(complement(b));
    }

    /** Every IPv4 and IPv6 address outside {@code p}: the gaps between its ranges. */
    private static AddressPool complement(AddressPool p) {
        AddressPool.Builder out = AddressPool.builder();
        BigInteger next4 = BigInteger.ZERO;
        BigInteger next6 = BigInteger.ZERO;
        for (AddressPool.Range r : p.ranges()) {
            boolean v6 = r.first().getAddress().length == 16;
            BigInteger first = new BigInteger(1, r.first().getAddress());
            BigInteger last = new BigInteger(1, r.last().getAddress());
            BigInteger next = v6 ? next6 : next4;
            if (first.compareTo(next) > 0) {
                out.add(range(next, first.subtract(BigInteger.ONE), v6));
            }
            if (v6) {
                next6 = last.add(BigInteger.ONE);
            } else {
                next4 = last.add(BigInteger.ONE);
            }
        }
        if (next4.compareTo(V4_MAX) <= 0) {
            out.add(range(next4, V4_MAX, false));
        }
        if (next6.compareTo(V6_MAX) <= 0) {
            out.add(range(next6, V6_MAX, true));
        }
        return out.build();
    }

    private static String range(BigInteger first, BigInteger last, boolean v6) {
        return text(first, v6) + "-" + text(last, v6);
    }

    private static String text(BigInteger v, boolean v6) {
        byte[] raw = v.toByteArray();
        byte[] b = new byte[v6 ? 16 : 4];
        int n = Math.min(raw.length, b.length);
        System.arraycopy(raw, raw.length - n, b, b.length - n, n);
        return IpLiterals.format(SubjectAltNames.inet(b));
    }
}
