package net.poolsa.ike;

/**
 * One installed child SA pair as {@code poolsa status} shows it under its IKE SA: the SPIs (inbound chosen by us,
 * outbound by the peer), the negotiated proposal in strongSwan's syntax, the protected pools (the selectors) and
 * the outer pools, and its age; when the engine will rekey it and when its hard lifetime ends (seconds from now, -1
 * for none), and whether a newer pair replaced it (it then only receives until its grace period ends).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
public record ChildSaSnapshot(int spiIn, int spiOut, String proposal, String localProtected, String remoteProtected,
                              String localOuter, String remoteOuter, long ageSeconds, long rekeyInSeconds,
                              long expiresInSeconds, boolean replaced) {
    /** Without lifetime information (no rekey planned, no hard limit known). */
    public ChildSaSnapshot(int spiIn, int spiOut, String proposal, String localProtected, String remoteProtected,
                           String localOuter, String remoteOuter, long ageSeconds) {
        this(spiIn, spiOut, proposal, localProtected, remoteProtected, localOuter, remoteOuter, ageSeconds, -1, -1, false);
    }
}
