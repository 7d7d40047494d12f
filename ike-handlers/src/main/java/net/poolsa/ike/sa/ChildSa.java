package net.poolsa.ike.sa;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.job.Scheduler;
import net.poolsa.ike.proposal.EspProposal;

/**
 * One SA pair a Quick Mode installed: what {@code poolsa status} lists under the IKE SA and what a Delete or a
 * terminate removes. The inbound SA carries the SPI we chose, the outbound one the peer's. An AH+ESP bundle adds
 * a transport-mode AH pair under the same reqid ({@link #bundle}), removed with the ESP pair.
 *
 * @param pair    the protected pools of the pair (the traffic selectors) and its reqid and policy names
 * @param inbound the installed inbound SA; outbound is null until the exchange finished installing it
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
public final class ChildSa {
    private final String connection;
    private final SelectorPair pair;
    private final EspProposal proposal;
    private final SecurityAssociation inbound;
    private final int spiOut;
    private final long createdMillis;
    private SecurityAssociation outbound;
    private EspProposal ahProposal;
    private SecurityAssociation ahInbound;
    private int ahSpiOut;
    private SecurityAssociation ahOutbound;
    private Scheduler.Cancellable rekeyTimer = Scheduler.Cancellable.NONE;
    private long rekeyAtMillis;
    private boolean rekeying;
    private boolean replaced;
    private long negotiationStarted;
    private long installed;
    private byte[] lowerNonce = new byte[0];

    public ChildSa(String connection, SelectorPair pair, EspProposal proposal, SecurityAssociation inbound, int spiOut,
                   long createdMillis) {
        this.connection = connection;
        this.pair = pair;
        this.proposal = proposal;
        this.inbound = inbound;
        this.spiOut = spiOut;
        this.createdMillis = createdMillis;
    }

    public String connection() {
        return connection;
    }

    public SelectorPair pair() {
        return pair;
    }

    public EspProposal proposal() {
        return proposal;
    }

    public SecurityAssociation inbound() {
        return inbound;
    }

    public SecurityAssociation outbound() {
        return outbound;
    }

    public void outbound(SecurityAssociation sa) {
        this.outbound = sa;
    }

    /** Makes this pair an AH+ESP bundle: the installed inbound AH SA and the peer's AH SPI. */
    public void bundle(EspProposal ah, SecurityAssociation ahIn, int ahOut) {
        this.ahProposal = ah;
        this.ahInbound = ahIn;
        this.ahSpiOut = ahOut;
    }

    /** The AH transform of a bundle, null without one. */
    public EspProposal ahProposal() {
        return ahProposal;
    }

    public SecurityAssociation ahInbound() {
        return ahInbound;
    }

    public int ahSpiOut() {
        return ahSpiOut;
    }

    public SecurityAssociation ahOutbound() {
        return ahOutbound;
    }

    public void ahOutbound(SecurityAssociation sa) {
        this.ahOutbound = sa;
    }

    /** The negotiated transforms in strongSwan's syntax, a bundle's AH after a "+". */
    public String proposalName() {
        return ahProposal == null ? proposal.name() : proposal.name() + " + " + ahProposal.name();
    }

    public int spiIn() {
        return inbound.spi();
    }

    public int spiOut() {
        return spiOut;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public AddressPool localOuter() {
        return inbound.localOuter();
    }

    public AddressPool remoteOuter() {
        return inbound.remoteOuter();
    }

    /** The time-based rekey: its timer and when it is due on the engine's clock (0: none planned). */
    public void rekeyTimer(Scheduler.Cancellable timer, long atMillis) {
        this.rekeyTimer.cancel();
        this.rekeyTimer = timer;
        this.rekeyAtMillis = atMillis;
    }

    public long rekeyAtMillis() {
        return rekeyAtMillis;
    }

    /** Our Quick Mode that replaces this pair is under way. */
    public boolean rekeying() {
        return rekeying;
    }

    public void rekeying(boolean r) {
        this.rekeying = r;
    }

    /**
     * A newer pair of the same selectors carries the traffic: this one only receives what was in flight until its
     * grace period ends, and is never rekeyed again.
     */
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

    /**
     * The Quick Mode that made this pair: when it started here (we sent or received message 1), as a number of the
     * engine's event sequence, and its nonces. Two rekeys of the same pair that overlapped are told apart by these
     * (see {@code Lifetimes}); a sequence, not a clock, so that events within one millisecond keep their order.
     */
    public void negotiation(long started, byte[] nonceI, byte[] nonceR) {
        this.negotiationStarted = started;
        this.lowerNonce = (java.util.Arrays.compareUnsigned(nonceI, nonceR) <= 0 ? nonceI : nonceR).clone();
    }

    public long negotiationStarted() {
        return negotiationStarted;
    }

    /** The lower (unsigned, lexicographic) of the pair's two Quick Mode nonces. */
    public byte[] lowerNonce() {
        return lowerNonce.clone();
    }

    /** When both directions of the pair were installed here, in the same sequence (0: not yet). */
    public long installed() {
        return installed;
    }

    public void installed(long at) {
        this.installed = at;
    }

    /** The pair is gone: no rekey fires for it. */
    public void cancelTimers() {
        rekeyTimer.cancel();
        rekeyAtMillis = 0;
    }

    @Override
    public String toString() {
        return String.format("child[%s %s in 0x%08x out 0x%08x %s]", connection, proposalName(), spiIn(), spiOut, pair);
    }
}
