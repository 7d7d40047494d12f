package net.poolsa.ike;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One IKE (ISAKMP) SA as {@code poolsa status} shows it: the connection, the two IKE endpoints (after a NAT-T
 * float, port 4500), the cookies in hex, our role, the state, the phase-1 proposal in strongSwan's syntax, its
 * age, whether NAT traversal is in use, the child SAs negotiated under it, when it is rekeyed and when its hard
 * lifetime ends (seconds from now, -1 for none), whether a newer ISAKMP SA replaced it, its lifetime in kilobytes
 * (0 for none, RFC 2409 Appendix A life type 2) and the bytes of the messages it protected so far.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (cookies)</a>
 */
public record IkeSaSnapshot(String connection, InetSocketAddress local, InetSocketAddress remote,
                            String initiatorCookie, String responderCookie, String role, String state, String proposal,
                            long ageSeconds, boolean natT, List<ChildSaSnapshot> children, long rekeyInSeconds,
                            long expiresInSeconds, boolean replaced, long lifetimeKilobytes, long protectedBytes) {
    public IkeSaSnapshot {
        children = List.copyOf(children);
    }

    /** Without the lifetime in kilobytes (the form before it existed). */
    public IkeSaSnapshot(String connection, InetSocketAddress local, InetSocketAddress remote, String initiatorCookie,
                         String responderCookie, String role, String state, String proposal, long ageSeconds, boolean natT,
                         List<ChildSaSnapshot> children, long rekeyInSeconds, long expiresInSeconds, boolean replaced) {
        this(connection, local, remote, initiatorCookie, responderCookie, role, state, proposal, ageSeconds, natT,
                children, rekeyInSeconds, expiresInSeconds, replaced, 0, 0);
    }

    /** Without lifetime information. */
    public IkeSaSnapshot(String connection, InetSocketAddress local, InetSocketAddress remote, String initiatorCookie,
                         String responderCookie, String role, String state, String proposal, long ageSeconds, boolean natT,
                         List<ChildSaSnapshot> children) {
        this(connection, local, remote, initiatorCookie, responderCookie, role, state, proposal, ageSeconds, natT,
                children, -1, -1, false);
    }

    /** The same SA with other children (status shows the ones of one connection). */
    public IkeSaSnapshot withChildren(List<ChildSaSnapshot> others) {
        return new IkeSaSnapshot(connection, local, remote, initiatorCookie, responderCookie, role, state, proposal,
                ageSeconds, natT, others, rekeyInSeconds, expiresInSeconds, replaced, lifetimeKilobytes, protectedBytes);
    }
}
