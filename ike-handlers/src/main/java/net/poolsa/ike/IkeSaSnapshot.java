package net.poolsa.ike;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One IKE (ISAKMP) SA as {@code poolsa status} shows it: the connection, the two IKE endpoints (after a NAT-T
 * float, port 4500), the cookies in hex, our role, the state, the phase-1 proposal in strongSwan's syntax, its
 * age, whether NAT traversal is in use, and the child SAs negotiated under it.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (cookies)</a>
 */
public record IkeSaSnapshot(String connection, InetSocketAddress local, InetSocketAddress remote,
                            String initiatorCookie, String responderCookie, String role, String state, String proposal,
                            long ageSeconds, boolean natT, List<ChildSaSnapshot> children) {
    public IkeSaSnapshot {
        children = List.copyOf(children);
    }
}
