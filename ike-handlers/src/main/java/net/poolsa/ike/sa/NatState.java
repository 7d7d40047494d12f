package net.poolsa.ike.sa;

import net.poolsa.ike.proposal.Encapsulation;

/**
 * What NAT traversal (RFC 3947) found for one IKE SA: which NAT-T variant both sides announced in their vendor
 * IDs, and what the NAT-D hashes of Main Mode messages 3 and 4 said.
 *
 * @param variant        {@link Encapsulation#UDP_RFC} if both announced RFC 3947, {@link Encapsulation#UDP_DRAFT}
 *                       if the peer announced only a draft, {@link Encapsulation#NONE} if either announced none
 * @param localBehindNat the peer saw our address other than we sent it: a NAT in front of us (our own NAT-D
 *                       lie under forced encapsulation does not hide this from us)
 * @param peerBehindNat  we see the peer's address other than it sent it (or it pretends so)
 * @param forced         we pretend to be behind a NAT (forced encapsulation)
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3">RFC 3947 §3</a>
 */
public record NatState(Encapsulation variant, boolean localBehindNat, boolean peerBehindNat, boolean forced) {
    public static final NatState NONE = new NatState(Encapsulation.NONE, false, false, false);

    /** Whether IKE floats to port 4500 and ESP goes in UDP. */
    public boolean natted() {
        return variant != Encapsulation.NONE && (localBehindNat || peerBehindNat || forced);
    }

    /** The Encapsulation-Mode family Quick Mode uses. */
    public Encapsulation encapsulation() {
        return natted() ? variant : Encapsulation.NONE;
    }
}
