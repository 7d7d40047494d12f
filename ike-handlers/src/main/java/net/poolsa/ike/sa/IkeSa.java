package net.poolsa.ike.sa;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.ike.auth.PeerCertificate;
import net.poolsa.ike.crypto.IsakmpEncryption;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.proposal.IkeProposal;
import net.poolsa.ike.transport.Endpoints;

/**
 * One ISAKMP SA: its cookies and our role, the explicit state, the endpoints (which move to port 4500 when NAT
 * traversal floats), the negotiated suite and lifetime, the keys and the IV chain once Main Mode message 4 is
 * through, what the peer announced (NAT-T, poolsa outer pools), the exchanges in progress and the child SAs
 * negotiated under it. Confined to the IKE event loop; {@link #destroy()} zeroes the keys.
 *
 * <p>Our own cookie ({@link #localCookie()}) is unique in the {@link IkeSaTable} and is what jobs name the SA by.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.4">RFC 2408 §2.4 (ISAKMP SA)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 */
public final class IkeSa {
    static final int PEER_DPD_WINDOW = 64;
    /** Orders the creations and establishments of IKE SAs (wall-clock millis tie); only the order matters. */
    private static final AtomicLong ORDER = new AtomicLong();
    private final long createdOrder = ORDER.incrementAndGet();
    private long establishedOrder;
    private final Role role;
    private final long initiatorCookie;
    private long responderCookie;
    private final String connection;
    private final long createdMillis;
    private IkeSaState state;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private IkeProposal proposal;
    private long lifetimeSeconds;
    private Phase1Keys keys;
    private IsakmpEncryption encryption;
    private NatState nat = NatState.NONE;
    private boolean peerOuterPools;
    private boolean peerAnnouncedOuter;
    private boolean peerDpd;
    private String peerIdentity = "";
    private IdentificationPayload peerId;
    private PeerCertificate peerCertificate;
    private Exchange mainMode;
    private final Map<Integer, Exchange> quickModes = new HashMap<>();
    private final RecentMessageIds seenMessageIds = new RecentMessageIds();
    /** The peer's R-U-THERE sequence numbers (RFC 3706 §7), in a window: its paths may reorder them. */
    private ReplayWindow peerDpdSequences;
    private final List<ChildSa> children = new ArrayList<>();
    private Scheduler.Cancellable halfOpenTimer = Scheduler.Cancellable.NONE;
    private String lastPeerError;
    private Scheduler.Cancellable rekeyTimer = Scheduler.Cancellable.NONE;
    private Scheduler.Cancellable expiryTimer = Scheduler.Cancellable.NONE;
    private long rekeyAtMillis;
    private long establishedMillis;
    private boolean replaced;
    // phase-1 lifetime in kilobytes (RFC 2409 Appendix A life type 2)
    private long lifetimeKilobytes;
    private long protectedBytes;
    private long softBytes;
    private long hardBytes;
    private ByteLimit byteLimit;

    public IkeSa(Role role, long initiatorCookie, long responderCookie, String connection, InetSocketAddress local,
                 InetSocketAddress remote, long createdMillis) {
        this.role = role;
        this.initiatorCookie = initiatorCookie;
        this.responderCookie = responderCookie;
        this.connection = connection;
        this.local = local;
        this.remote = remote;
        this.createdMillis = createdMillis;
        this.state = role == Role.INITIATOR ? IkeSaState.MM1_SENT : IkeSaState.MM2_SENT;
    }

    public Role role() {
        return role;
    }

    public long initiatorCookie() {
        return initiatorCookie;
    }

    public long responderCookie() {
        return responderCookie;
    }

    /** Set by the initiator from Main Mode message 2. */
    public void responderCookie(long cookie) {
        this.responderCookie = cookie;
    }

    /** Our cookie: the initiator's if we initiated, else the responder's. */
    public long localCookie() {
        return role == Role.INITIATOR ? initiatorCookie : responderCookie;
    }

    /** The peer's cookie (0 while an initiator waits for message 2). */
    public long peerCookie() {
        return role == Role.INITIATOR ? responderCookie : initiatorCookie;
    }

    /** The connection whose proposals and key Main Mode used. */
    public String connection() {
        return connection;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public IkeSaState state() {
        return state;
    }

    public void state(IkeSaState s) {
        if (s == IkeSaState.ESTABLISHED && establishedOrder == 0) {
            establishedOrder = ORDER.incrementAndGet();
        }
        this.state = s;
    }

    /** Whether this SA is established and was so before {@code later}'s first Main Mode message. */
    public boolean establishedBefore(IkeSa later) {
        return established() && establishedOrder < later.createdOrder;
    }

    public boolean established() {
        return state == IkeSaState.ESTABLISHED;
    }

    public InetSocketAddress local() {
        return local;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** The endpoints after a NAT-T float (or a peer's authenticated move). */
    public void endpoints(InetSocketAddress local, InetSocketAddress remote) {
        this.local = local;
        this.remote = remote;
    }

    public IkeProposal proposal() {
        return proposal;
    }

    public long lifetimeSeconds() {
        return lifetimeSeconds;
    }

    public void negotiated(IkeProposal proposal, long lifetimeSeconds) {
        this.proposal = proposal;
        this.lifetimeSeconds = lifetimeSeconds;
    }

    /** The negotiated phase-1 lifetime in kilobytes, 0 for none. */
    public long lifetimeKilobytes() {
        return lifetimeKilobytes;
    }

    public void negotiatedKilobytes(long kilobytes) {
        this.lifetimeKilobytes = kilobytes;
    }

    /** Told once when the protected bytes reach the soft limit, once when they reach the hard one. */
    public interface ByteLimit {
        void reached(boolean hard);
    }

    /**
     * Arms the byte limits: {@code limit} is told when {@link #protectedBytes()} reaches {@code soft}, then
     * {@code hard} (each once; 0 = none).
     */
    public void byteLimits(long soft, long hard, ByteLimit limit) {
        this.softBytes = soft;
        this.hardBytes = hard;
        this.byteLimit = limit;
    }

    /**
     * Counts the bytes of one message encrypted or decrypted under this SA (its encrypted body), which the lifetime in
     * kilobytes measures, and tells the armed limit when a bound is reached.
     */
    public void protect(int bytes) {
        long before = protectedBytes;
        protectedBytes += bytes;
        if (byteLimit == null) {
            return;
        }
        if (softBytes > 0 && before < softBytes && protectedBytes >= softBytes) {
            byteLimit.reached(false);
        }
        if (hardBytes > 0 && before < hardBytes && protectedBytes >= hardBytes) {
            byteLimit.reached(true);
        }
    }

    /** Bytes of the messages this SA encrypted and decrypted (Main Mode 5 and 6, Quick Modes, Informationals). */
    public long protectedBytes() {
        return protectedBytes;
    }

    /** The phase-1 keys, null before Main Mode message 4. */
    public Phase1Keys keys() {
        return keys;
    }

    public IsakmpEncryption encryption() {
        return encryption;
    }

    public void keys(Phase1Keys keys) {
        this.keys = keys;
        this.encryption = keys.newEncryption();
    }

    public NatState nat() {
        return nat;
    }

    public void nat(NatState nat) {
        this.nat = nat;
    }

    /** The peer announced that it understands poolsa outer-pool notifications. */
    public boolean peerOuterPools() {
        return peerOuterPools;
    }

    public void peerOuterPools(boolean understands) {
        this.peerOuterPools = understands;
    }

    /**
     * The peer announced its outer pool in a Quick Mode of this SA, which it does only when no NAT changed its address
     * (docs/ikev1-pools.md §2): under forced encapsulation its NAT-D lie then hides no NAT.
     */
    public boolean peerAnnouncedOuter() {
        return peerAnnouncedOuter;
    }

    public void peerAnnouncedOuter(boolean announced) {
        this.peerAnnouncedOuter = announced;
    }

    /** The peer announced dead peer detection (RFC 3706 §5.2): it answers R-U-THERE. */
    public boolean peerDpd() {
        return peerDpd;
    }

    public void peerDpd(boolean announced) {
        this.peerDpd = announced;
    }

    /** The peer's phase-1 ID, for log lines and status. */
    public String peerIdentity() {
        return peerIdentity;
    }

    /** The peer's phase-1 ID payload, authenticated once Main Mode's HASH or SIG over it verified. */
    public void peerIdentity(IdentificationPayload id) {
        this.peerId = id;
        this.peerIdentity = id.toString();
    }

    /**
     * Whether both SAs' peers sent the same phase-1 identity (type and value; the protocol and port it names do
     * not identify the peer). False while either has none yet.
     */
    public boolean samePeerIdentity(IkeSa other) {
        return peerId != null && other.peerId != null && peerId.idType().equals(other.peerId.idType())
                && Arrays.equals(peerId.data(), other.peerId.data());
    }

    /** The peer's certificate that Main Mode validated, null with a pre-shared key: what its pool claims are checked against. */
    public PeerCertificate peerCertificate() {
        return peerCertificate;
    }

    public void peerCertificate(PeerCertificate c) {
        this.peerCertificate = c;
    }

    public Exchange mainMode() {
        return mainMode;
    }

    public void mainMode(Exchange e) {
        this.mainMode = e;
    }

    public Exchange quickMode(int messageId) {
        return quickModes.get(messageId);
    }

    public void quickMode(int messageId, Exchange e) {
        quickModes.put(messageId, e);
    }

    public Exchange removeQuickMode(int messageId) {
        if (encryption != null) {
            encryption.chain().forget(messageId);
        }
        return quickModes.remove(messageId);
    }

    public Collection<Exchange> quickModes() {
        return List.copyOf(quickModes.values());
    }

    /** Message IDs of the Quick Mode and Informational exchanges seen (replay detection). */
    /**
     * Records the sequence number of an authenticated R-U-THERE; false when it was seen before or is more than
     * {@value #PEER_DPD_WINDOW} behind the newest (a replay, or older than anything we still tell apart).
     */
    public boolean newPeerDpdSequence(int sequence) {
        if (peerDpdSequences == null) {
            peerDpdSequences = new ReplayWindow(PEER_DPD_WINDOW);
        }
        return peerDpdSequences.update(Integer.toUnsignedLong(sequence)) == ReplayWindow.OK;
    }

    public RecentMessageIds seenMessageIds() {
        return seenMessageIds;
    }

    public List<ChildSa> children() {
        return children;
    }

    public void halfOpenTimer(Scheduler.Cancellable timer) {
        this.halfOpenTimer = timer;
    }

    /** Main Mode finished: the half-open expiry no longer applies. */
    public void cancelHalfOpenTimer() {
        halfOpenTimer.cancel();
        halfOpenTimer = Scheduler.Cancellable.NONE;
    }

    /** An error notification the peer sent that could not be authenticated: said when the attempt times out. */
    public String lastPeerError() {
        return lastPeerError;
    }

    public void lastPeerError(String error) {
        this.lastPeerError = error;
    }

    /** The phase-1 rekey and hard-expiry timers, and when the rekey is due (0: none). */
    public void lifetimeTimers(Scheduler.Cancellable rekey, long rekeyAtMillis, Scheduler.Cancellable expiry) {
        this.rekeyTimer = rekey;
        this.rekeyAtMillis = rekeyAtMillis;
        this.expiryTimer = expiry;
    }

    /** When Main Mode finished on the engine's clock (the phase-1 lifetime counts from there), 0 before. */
    public long establishedMillis() {
        return establishedMillis;
    }

    public void establishedAt(long millis) {
        this.establishedMillis = millis;
    }

    /** When the phase-1 rekey is due on the engine's clock, 0 when none is planned. */
    public long rekeyAtMillis() {
        return rekeyAtMillis;
    }

    /** A newer ISAKMP SA with the peer took the child SAs over: this one waits to be deleted. */
    public boolean replaced() {
        return replaced;
    }

    public void replaced(boolean r) {
        this.replaced = r;
        if (r) {
            rekeyTimer.cancel();
            rekeyAtMillis = 0;
        }
    }

    /** Leaves the table: cancels the half-open timer and zeroes the keys. Children are the caller's to remove first. */
    public void destroy() {
        state = IkeSaState.DELETED;
        halfOpenTimer.cancel();
        rekeyTimer.cancel();
        expiryTimer.cancel();
        if (encryption != null) {
            encryption.destroy();
        }
        if (keys != null) {
            keys.destroy();
        }
    }

    /** Cookies, role, state, endpoints; never keys. */
    @Override
    public String toString() {
        return String.format("IKE_SA[%s %016x_i %016x_r %s %s %s <-> %s]", connection, initiatorCookie,
                responderCookie, role.label(), state, Endpoints.text(local), Endpoints.text(remote));
    }
}
