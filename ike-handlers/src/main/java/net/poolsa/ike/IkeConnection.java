package net.poolsa.ike;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.proposal.Phase2Sa;

/**
 * One IKE-keyed connection as the engine needs it; built by the appliance from its configuration. Configuration
 * is policy (RFC 3554 §4): what a peer claims is accepted only within these pools.
 *
 * <p>Two connections are equal when every field is, the pre-shared key compared by content (in constant time):
 * that is how {@link IkeEngine#configure} tells a changed connection from an unchanged one. {@link #toString()}
 * never shows the key.
 *
 * @param name                 unique name ({@code poolsa initiate NAME})
 * @param reqid                stable per connection, 1-65535: it ties the connection's SAs to its policies. The
 *                             engine uses the bits above for the extra SA pairs of a peer without ID_LIST
 *                             (pair k gets {@code reqid + (k << 16)}, k = 1, 2, ...)
 * @param mode                 tunnel or transport
 * @param protocol             ESP or AH
 * @param localOuter           our outer pool: the IKE and ESP endpoint addresses we may use
 * @param remoteOuter          the peer's outer pool
 * @param localProtected       the inner addresses behind us (equal to {@code localOuter} in the host case)
 * @param remoteProtected      the inner addresses behind the peer
 * @param ikeProposals         strongSwan syntax, e.g. "aes128-sha256-modp2048" ({@link Proposals})
 * @param espProposals         e.g. "aes128gcm16-modp2048" (a DH group = PFS), "3des-sha1"
 * @param psk                  the pre-shared key: a copy the engine owns and zeroes when the connection is removed;
 *                             empty (or null) with {@code certificates}
 * @param childLifetime        soft = rekey, hard = life of each child SA; without a time limit, the default
 *                             ({@link #withDefaultTime}): a peer takes an offer without one as 8 hours
 * @param ikeLifetimeSeconds   phase-1 lifetime offered and accepted, 0 for the default 28800 s
 * @param startAction          when to negotiate
 * @param forceEncapsulation   behave as if behind a NAT: float to 4500 and use ESP-in-UDP without one
 * @param replayWindow         anti-replay window of the inbound SAs, in packets
 * @param extendedSequenceNumbers offer 64-bit sequence numbers (RFC 4304)
 * @param bundleAhProposals    with ESP: AH proposals (strongSwan syntax without a DH group, e.g. "sha256") that make
 *                             each Quick Mode negotiate an AH+ESP bundle (RFC 2408 §4.2: one proposal number, AH and
 *                             ESP), the AH pair applied in transport mode over the ESP packets under the same reqid;
 *                             empty for none. A bundle cannot cross a NAT (AH covers the outer addresses, RFC 3715 §2.1)
 * @param certificates         null for pre-shared-key authentication; else Main Mode authenticates with signatures
 *                             (RFC 2409 §5.1) by these credentials, whose key decides the Authentication Method
 *                             proposed and accepted, and every pool the peer claims must be granted to it by its
 *                             certificate or the connection's grant (RFC 3554 §4, {@link CertificateAuthenticator})
 * @param rekey                when child and ISAKMP SAs are replaced, and how long a replaced pair keeps receiving
 * @param dpd                  dead peer detection (RFC 3706), {@link Dpd#OFF} for none
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4</a>
 */
public record IkeConnection(
        String name,
        int reqid,
        SaMode mode,
        IpsecProtocol protocol,
        AddressPool localOuter, AddressPool remoteOuter,
        AddressPool localProtected, AddressPool remoteProtected,
        List<String> ikeProposals,
        List<String> espProposals,
        byte[] psk,
        Lifetime childLifetime,
        long ikeLifetimeSeconds,
        StartAction startAction,
        boolean forceEncapsulation,
        int replayWindow, boolean extendedSequenceNumbers,
        List<String> bundleAhProposals,
        CertificateAuthenticator certificates,
        Rekey rekey,
        Dpd dpd) {
    /** Phase-1 lifetime when the connection names none (strongSwan's and RFC 2407's common default, 8 hours). */
    public static final long DEFAULT_IKE_LIFETIME_SECONDS = 28800;
    /** Largest reqid: the bits above it number the extra SA pairs (see {@code reqid}). */
    public static final int MAX_REQID = 0xFFFF;

    public IkeConnection {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an IKE connection needs a name");
        }
        if (reqid < 1 || reqid > MAX_REQID) {
            throw new IllegalArgumentException("connection " + name + ": reqid " + reqid + " is not within 1-" + MAX_REQID);
        }
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(protocol, "protocol");
        for (AddressPool p : new AddressPool[] {localOuter, remoteOuter, localProtected, remoteProtected}) {
            if (p == null || p.isEmpty()) {
                throw new IllegalArgumentException("connection " + name + ": every pool must hold an address");
            }
        }
        ikeProposals = List.copyOf(ikeProposals);
        espProposals = List.copyOf(espProposals);
        if (ikeProposals.isEmpty() || espProposals.isEmpty()) {
            throw new IllegalArgumentException("connection " + name + " needs IKE and ESP proposals");
        }
        for (String p : ikeProposals) {
            Proposals.checkIke(p);
        }
        for (String p : espProposals) {
            Proposals.checkEsp(p, protocol);
        }
        if (psk == null) {
            psk = new byte[0];
        }
        if (certificates == null && psk.length == 0) {
            throw new IllegalArgumentException("connection " + name + " needs a pre-shared key or certificates");
        }
        if (certificates != null && psk.length != 0) {
            throw new IllegalArgumentException("connection " + name + ": a pre-shared key or certificates, not both");
        }
        Objects.requireNonNull(childLifetime, "child lifetime");
        try {
            childLifetime = withDefaultTime(childLifetime);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("connection " + name + ": " + e.getMessage());
        }
        if (ikeLifetimeSeconds < 0) {
            throw new IllegalArgumentException("connection " + name + ": negative IKE lifetime");
        }
        Objects.requireNonNull(startAction, "start action");
        if (replayWindow < 0 || replayWindow > 1 << 20) {
            throw new IllegalArgumentException("connection " + name + ": replay window " + replayWindow);
        }
        bundleAhProposals = List.copyOf(bundleAhProposals);
        if (!bundleAhProposals.isEmpty() && protocol != IpsecProtocol.ESP) {
            throw new IllegalArgumentException("connection " + name + ": an AH bundle goes over ESP, not " + protocol);
        }
        for (String p : bundleAhProposals) {
            Proposals.checkBundleAh(p);
        }
        Objects.requireNonNull(rekey, "rekey");
        Objects.requireNonNull(dpd, "dpd");
    }

    /** A connection without dead peer detection of its own (the form before DPD existed). */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers, List<String> bundleAhProposals, CertificateAuthenticator certificates,
                         Rekey rekey) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, bundleAhProposals, certificates, rekey, Dpd.OFF);
    }

    /** A connection with the default {@link Rekey} timing (the form before rekeying existed). */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers, List<String> bundleAhProposals, CertificateAuthenticator certificates) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, bundleAhProposals, certificates, Rekey.DEFAULT, Dpd.OFF);
    }

    /** A connection authenticated by pre-shared key with {@code rekey} timing. */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers, List<String> bundleAhProposals, Rekey rekey) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, bundleAhProposals, null, rekey, Dpd.OFF);
    }

    /** A connection authenticated by pre-shared key with default {@link Rekey} timing and {@code dpd}. */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers, List<String> bundleAhProposals, Dpd dpd) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, bundleAhProposals, null, Rekey.DEFAULT, dpd);
    }

    /** A connection authenticated by pre-shared key (the form before certificates existed). */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers, List<String> bundleAhProposals) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, bundleAhProposals, null, Rekey.DEFAULT, Dpd.OFF);
    }

    /** A connection without an AH+ESP bundle (the form before bundles existed). */
    public IkeConnection(String name, int reqid, SaMode mode, IpsecProtocol protocol, AddressPool localOuter,
                         AddressPool remoteOuter, AddressPool localProtected, AddressPool remoteProtected,
                         List<String> ikeProposals, List<String> espProposals, byte[] psk, Lifetime childLifetime,
                         long ikeLifetimeSeconds, StartAction startAction, boolean forceEncapsulation, int replayWindow,
                         boolean extendedSequenceNumbers) {
        this(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected, ikeProposals,
                espProposals, psk, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation, replayWindow,
                extendedSequenceNumbers, List.of());
    }

    /**
     * {@code l} with a time limit: as configured when it has a hard one; else hard
     * {@link Phase2Sa#DEFAULT_LIFETIME_SECONDS} (RFC 2407 §4.5: what the peer assumes for an offer without one, so
     * keeping the SA longer would break the tunnel at 8 hours) and soft at the configured rekey time, or 9/10 of it as
     * {@code ike-rekey-time} (jittered like any soft time). Byte and packet limits stay as they are.
     *
     * @throws IllegalArgumentException a soft time not below the default with no hard time: it would never rekey
     */
    public static Lifetime withDefaultTime(Lifetime l) {
        if (l.hardSeconds() != 0) {
            return l;
        }
        long hard = Phase2Sa.DEFAULT_LIFETIME_SECONDS;
        if (l.softSeconds() >= hard) {
            throw new IllegalArgumentException("rekey time " + l.softSeconds() + " s without a life time: child SAs "
                    + "live " + hard + " s then (RFC 2407 §4.5's default), give a life time above the rekey time");
        }
        long soft = l.softSeconds() > 0 ? l.softSeconds() : defaultSoft(hard);
        return new Lifetime(soft, hard, l.softBytes(), l.hardBytes(), l.softPackets(), l.hardPackets());
    }

    /**
     * The soft limit of a child SA whose configuration gives a hard limit ({@code life-*}) without its soft one
     * ({@code rekey-*}): 9/10 of it, rounded up, as for the default time and {@code ike-rekey-time}. Without one the SA
     * would reach its hard limit with traffic on it and nobody would rekey it.
     */
    public static long defaultSoft(long hard) {
        return hard - hard / 10;
    }

    /** The phase-1 lifetime to offer: {@link #ikeLifetimeSeconds()}, or the default when that is 0. */
    public long effectiveIkeLifetimeSeconds() {
        return ikeLifetimeSeconds == 0 ? DEFAULT_IKE_LIFETIME_SECONDS : ikeLifetimeSeconds;
    }

    /**
     * Whether an IKE SA of {@code other} can carry Quick Modes of this connection: both authenticate the peer the
     * same way, by the same pre-shared key (compared in constant time) or by the same certificate credentials.
     */
    public boolean sameCredentials(IkeConnection other) {
        if (certificates != null || other.certificates != null) {
            return Objects.equals(certificates, other.certificates);
        }
        return MessageDigest.isEqual(psk, other.psk);
    }

    /** Zeroes the pre-shared key: the connection is gone (or was a duplicate of one the engine already holds). */
    public void wipe() {
        Arrays.fill(psk, (byte) 0);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IkeConnection)) {
            return false;
        }
        IkeConnection c = (IkeConnection) o;
        return name.equals(c.name) && reqid == c.reqid && mode == c.mode && protocol == c.protocol
                && localOuter.equals(c.localOuter) && remoteOuter.equals(c.remoteOuter)
                && localProtected.equals(c.localProtected) && remoteProtected.equals(c.remoteProtected)
                && ikeProposals.equals(c.ikeProposals) && espProposals.equals(c.espProposals)
                && MessageDigest.isEqual(psk, c.psk) && childLifetime.equals(c.childLifetime)
                && ikeLifetimeSeconds == c.ikeLifetimeSeconds && startAction == c.startAction
                && forceEncapsulation == c.forceEncapsulation && replayWindow == c.replayWindow
                && extendedSequenceNumbers == c.extendedSequenceNumbers
                && bundleAhProposals.equals(c.bundleAhProposals) && Objects.equals(certificates, c.certificates)
                && rekey.equals(c.rekey) && dpd.equals(c.dpd);
    }

    /** Leaves the key out: equal connections still hash alike. */
    @Override
    public int hashCode() {
        return Objects.hash(name, reqid, mode, protocol, localOuter, remoteOuter, localProtected, remoteProtected,
                ikeProposals, espProposals, childLifetime, ikeLifetimeSeconds, startAction, forceEncapsulation,
                replayWindow, extendedSequenceNumbers, bundleAhProposals, certificates, rekey, dpd);
    }

    /** Everything but the pre-shared key. */
    @Override
    public String toString() {
        return "IkeConnection[" + name + " reqid " + reqid + " " + mode + " " + protocol + " outer " + localOuter
                + " <-> " + remoteOuter + " protected " + localProtected + " <-> " + remoteProtected + " ike "
                + ikeProposals + " esp " + espProposals
                + (bundleAhProposals.isEmpty() ? "" : " ah bundle " + bundleAhProposals)
                + (certificates == null ? " psk" : " " + certificates) + " start " + startAction
                + (forceEncapsulation ? " encap" : "") + (dpd.enabled() ? " " + dpd : "") + "]";
    }
}
