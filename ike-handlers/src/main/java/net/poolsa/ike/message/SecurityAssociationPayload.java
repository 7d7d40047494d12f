package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A Security Association payload in the IPsec DOI: the Situation and the proposals, most preferred first.
 * RFC 2408 section 5.4 has the receiver check the DOI and the Situation before anything else; as their
 * values decide the format of what follows, the decoder does: a DOI other than IPSEC is
 * DOI-NOT-SUPPORTED, a Situation other than SIT_IDENTITY_ONLY (whose SECRECY and INTEGRITY variants add
 * labelled-domain fields nobody uses) is SITUATION-NOT-SUPPORTED.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                           Situation                           !  offset 4 (IPsec DOI: 4 bytes)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                           Proposals                           ~  offset 8 (Proposal)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.4">RFC 2408 section 3.4</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.1">RFC 2407 section 4.6.1</a>
 */
public record SecurityAssociationPayload(Doi doi, int situation, List<Proposal> proposals) implements IsakmpPayload {
    /** DOI and Situation. */
    public static final int FIXED_LENGTH = 8;
    /** RFC 2407 section 4.2: the only Situation we speak. */
    public static final int SIT_IDENTITY_ONLY = 1;

    public SecurityAssociationPayload {
        if (doi == null) {
            throw new IllegalArgumentException("DOI must not be null");
        }
        proposals = List.copyOf(proposals);
        if (proposals.isEmpty() || proposals.size() > IsakmpConstants.MAX_PROPOSALS_PER_SA) {
            throw new IllegalArgumentException("an SA has 1-" + IsakmpConstants.MAX_PROPOSALS_PER_SA
                    + " proposals, not " + proposals.size());
        }
        Wire.checkBodyLength("SA", FIXED_LENGTH + proposalsLength(proposals));
    }

    /** An IPsec DOI SA with SIT_IDENTITY_ONLY. */
    public static SecurityAssociationPayload ipsec(List<Proposal> proposals) {
        return new SecurityAssociationPayload(Doi.IPSEC, SIT_IDENTITY_ONLY, proposals);
    }

    public static SecurityAssociationPayload decode(ByteBuf body) throws IkeProtocolException {
        Wire.need(body, FIXED_LENGTH, "SA");
        Wire.notTooLong(body, "SA");
        Doi doi = Doi.of(body.readInt());
        if (!doi.equals(Doi.IPSEC)) {
            throw new IkeProtocolException(NotifyType.DOI_NOT_SUPPORTED, "SA DOI " + doi + " is not IPSEC (1)");
        }
        int situation = body.readInt();
        if (situation != SIT_IDENTITY_ONLY) {
            throw new IkeProtocolException(NotifyType.SITUATION_NOT_SUPPORTED,
                    "SA situation 0x" + Integer.toHexString(situation) + " is not SIT_IDENTITY_ONLY (1)");
        }
        List<Proposal> proposals = new ArrayList<>();
        int next = PayloadType.PROPOSAL.code();
        while (next != 0) {
            if (next != PayloadType.PROPOSAL.code()) {
                throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX, "SA proposal " + proposals.size()
                        + " is followed by type " + next + ", not 2 (P) or 0");
            }
            if (proposals.size() == IsakmpConstants.MAX_PROPOSALS_PER_SA) {
                throw Wire.malformed("SA holds more than " + IsakmpConstants.MAX_PROPOSALS_PER_SA + " proposals");
            }
            String what = "SA proposal " + (proposals.size() + 1);
            Wire.GenericHeader h = Wire.readGeneric(body, what);
            proposals.add(Proposal.decode(h.body(), what));
            next = h.next();
        }
        if (body.isReadable()) {
            throw Wire.malformed("SA has " + body.readableBytes() + " bytes after its last proposal");
        }
        return new SecurityAssociationPayload(doi, situation, proposals);
    }

    @Override
    public PayloadType type() {
        return PayloadType.SECURITY_ASSOCIATION;
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(doi.code()).writeInt(situation);
        for (int i = 0; i < proposals.size(); i++) {
            Proposal p = proposals.get(i);
            Wire.writeGeneric(out, i + 1 < proposals.size() ? PayloadType.PROPOSAL.code() : 0, p.encodedLength());
            p.encode(out);
        }
    }

    @Override
    public int encodedLength() {
        return FIXED_LENGTH + proposalsLength(proposals);
    }

    private static int proposalsLength(List<Proposal> proposals) {
        int n = 0;
        for (Proposal p : proposals) {
            n += IsakmpConstants.GENERIC_HEADER_LENGTH + p.encodedLength();
        }
        return n;
    }
}
