package net.poolsa.ike.proposal;

import java.util.ArrayList;
import java.util.List;

import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.message.DataAttribute;
import net.poolsa.ike.message.IkeAttributeValues;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.Proposal;
import net.poolsa.ike.message.ProtocolId;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.message.Transform;
import net.poolsa.ike.message.TransformId;

/**
 * The phase-1 SA payload of Main Mode: one ISAKMP proposal whose KEY_IKE transforms are our suites in our order
 * (the attribute order strongSwan sends: encryption, key length, hash, group, authentication, life type, life
 * duration), and the responder's choice: the first initiator transform it accepts, returned alone in one
 * proposal with the transform's own number (RFC 2408 §4.2: "the responder MUST ... send back exactly one
 * proposal ... and one transform").
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 */
public final class Phase1Sa {
    /**
     * A transform the responder accepted, with the lifetimes the initiator asked for in seconds and in kilobytes
     * (RFC 2409 Appendix A life types 1 and 2; 0 = none given).
     */
    public record Choice(IkeProposal proposal, long lifetimeSeconds, Transform transform, int proposalNumber,
                         long lifetimeKilobytes) {
        /** Without a lifetime in kilobytes. */
        public Choice(IkeProposal proposal, long lifetimeSeconds, Transform transform, int proposalNumber) {
            this(proposal, lifetimeSeconds, transform, proposalNumber, 0);
        }
    }

    private Phase1Sa() {
    }

    /** Our offer with pre-shared-key authentication. */
    public static SecurityAssociationPayload offer(List<IkeProposal> suites, long lifetimeSeconds) {
        return offer(suites, lifetimeSeconds, IkeAttributeValues.AUTH_PRE_SHARED_KEY);
    }

    /**
     * Our offer: every suite as a transform of proposal 1, with {@code lifetimeSeconds} and the Authentication
     * Method {@code authMethod} (1 pre-shared key, 3 RSA signatures, 9-11 ECDSA, RFC 4754 §4).
     */
    public static SecurityAssociationPayload offer(List<IkeProposal> suites, long lifetimeSeconds, int authMethod) {
        return offer(suites, lifetimeSeconds, 0, authMethod);
    }

    /**
     * Our offer with a lifetime in kilobytes too ({@code lifetimeKilobytes} &gt; 0): a second Life Type/Life Duration
     * pair after the one in seconds (RFC 2409 Appendix A: "if a lifetime is specified in both seconds and kilobytes,
     * the SA expires at whichever comes first").
     */
    public static SecurityAssociationPayload offer(List<IkeProposal> suites, long lifetimeSeconds, long lifetimeKilobytes,
                                                   int authMethod) {
        List<Transform> ts = new ArrayList<>();
        for (IkeProposal p : suites) {
            ts.add(transform(ts.size() + 1, p, lifetimeSeconds, lifetimeKilobytes, authMethod));
        }
        return SecurityAssociationPayload.ipsec(List.of(new Proposal(1, ProtocolId.ISAKMP, Octets.EMPTY, ts)));
    }

    static Transform transform(int number, IkeProposal p, long lifetimeSeconds, long lifetimeKilobytes, int authMethod) {
        List<DataAttribute> a = new ArrayList<>();
        a.add(DataAttribute.basic(AttributeType.IKE_ENCRYPTION_ALGORITHM, p.cipher().code()));
        if (p.cipher() == IkeCipher.AES_CBC) {
            a.add(DataAttribute.basic(AttributeType.IKE_KEY_LENGTH, p.keyBits()));
        }
        a.add(DataAttribute.basic(AttributeType.IKE_HASH_ALGORITHM, p.hash().code()));
        a.add(DataAttribute.basic(AttributeType.IKE_GROUP_DESCRIPTION, p.group().code()));
        a.add(DataAttribute.basic(AttributeType.IKE_AUTHENTICATION_METHOD, authMethod));
        if (lifetimeSeconds > 0) {
            a.add(DataAttribute.basic(AttributeType.IKE_LIFE_TYPE, IkeAttributeValues.LIFE_SECONDS));
            a.add(DataAttribute.number(AttributeType.IKE_LIFE_DURATION, lifetimeSeconds));
        }
        if (lifetimeKilobytes > 0) {
            a.add(DataAttribute.basic(AttributeType.IKE_LIFE_TYPE, IkeAttributeValues.LIFE_KILOBYTES));
            a.add(DataAttribute.number(AttributeType.IKE_LIFE_DURATION, lifetimeKilobytes));
        }
        return new Transform(number, TransformId.KEY_IKE, a);
    }

    /**
     * The responder's choice among the initiator's SA: the first transform, in the initiator's order, that is
     * one of {@code ours}.
     *
     * @throws IkeProtocolException NO-PROPOSAL-CHOSEN when none is, naming what was offered
     */
    public static Choice choose(SecurityAssociationPayload offered, List<IkeProposal> ours) throws IkeProtocolException {
        return choose(offered, ours, IkeAttributeValues.AUTH_PRE_SHARED_KEY);
    }

    /** {@link #choose(SecurityAssociationPayload, List)} for a connection that authenticates by {@code authMethod}. */
    public static Choice choose(SecurityAssociationPayload offered, List<IkeProposal> ours, int authMethod)
            throws IkeProtocolException {
        List<String> seen = new ArrayList<>();
        for (Proposal p : offered.proposals()) {
            if (!p.protocol().equals(ProtocolId.ISAKMP)) {
                seen.add(p.protocol().toString());
                continue;
            }
            for (Transform t : p.transforms()) {
                Parsed parsed = parse(t, authMethod);
                if (parsed.proposal != null && ours.contains(parsed.proposal)) {
                    return new Choice(parsed.proposal, parsed.lifetimeSeconds, t, p.number(), parsed.lifetimeKilobytes);
                }
                seen.add(parsed.description);
            }
        }
        throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN, "no acceptable phase-1 proposal: offered "
                + seen + ", configured " + ours);
    }

    /** The SA payload the responder sends back: the chosen transform alone, in a proposal of its number. */
    public static SecurityAssociationPayload answer(Choice choice) {
        return SecurityAssociationPayload.ipsec(List.of(new Proposal(choice.proposalNumber(), ProtocolId.ISAKMP,
                Octets.EMPTY, List.of(choice.transform()))));
    }

    /**
     * The initiator's check of the responder's answer: exactly one proposal with one transform, one of the
     * suites we offered.
     *
     * @throws IkeProtocolException NO-PROPOSAL-CHOSEN (RFC 2408 §5.4: the answer must be one of the offers)
     */
    public static Choice accepted(SecurityAssociationPayload answer, List<IkeProposal> offered) throws IkeProtocolException {
        return accepted(answer, offered, IkeAttributeValues.AUTH_PRE_SHARED_KEY);
    }

    /** {@link #accepted(SecurityAssociationPayload, List)} for an offer made with {@code authMethod}. */
    public static Choice accepted(SecurityAssociationPayload answer, List<IkeProposal> offered, int authMethod)
            throws IkeProtocolException {
        if (answer.proposals().size() != 1 || answer.proposals().get(0).transforms().size() != 1) {
            throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX, "the responder's SA holds "
                    + answer.proposals().size() + " proposals; exactly one with one transform is an answer");
        }
        Proposal p = answer.proposals().get(0);
        Transform t = p.transforms().get(0);
        Parsed parsed = p.protocol().equals(ProtocolId.ISAKMP) ? parse(t, authMethod)
                : new Parsed(null, 0, 0, p.protocol().toString());
        if (parsed.proposal == null || !offered.contains(parsed.proposal)) {
            throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN, "the responder chose " + parsed.description
                    + ", which we did not offer (" + offered + ")");
        }
        return new Choice(parsed.proposal, parsed.lifetimeSeconds, t, p.number(), parsed.lifetimeKilobytes);
    }

    private record Parsed(IkeProposal proposal, long lifetimeSeconds, long lifetimeKilobytes, String description) {
    }

    /**
     * Reads a KEY_IKE transform; an attribute we do not know or an Authentication Method other than the
     * connection's ({@code authMethod}) leaves it unusable.
     */
    private static Parsed parse(Transform t, int authMethod) throws IkeProtocolException {
        if (!t.transformId().equals(TransformId.KEY_IKE)) {
            return new Parsed(null, 0, 0, t.toString());
        }
        int cipher = -1;
        int keyBits = 0;
        int hash = -1;
        int group = -1;
        int auth = -1;
        long lifetime = 0;
        long kilobytes = 0;
        int lifeType = 0;
        boolean unknown = false;
        for (DataAttribute a : t.attributes()) {
            long v = a.longValue();
            AttributeType type = a.type(AttributeType.Space.IKE);
            if (type.equals(AttributeType.IKE_ENCRYPTION_ALGORITHM)) {
                cipher = (int) v;
            } else if (type.equals(AttributeType.IKE_KEY_LENGTH)) {
                keyBits = (int) v;
            } else if (type.equals(AttributeType.IKE_HASH_ALGORITHM)) {
                hash = (int) v;
            } else if (type.equals(AttributeType.IKE_GROUP_DESCRIPTION)) {
                group = (int) v;
            } else if (type.equals(AttributeType.IKE_AUTHENTICATION_METHOD)) {
                auth = (int) v;
            } else if (type.equals(AttributeType.IKE_LIFE_TYPE)) {
                lifeType = (int) v;
            } else if (type.equals(AttributeType.IKE_LIFE_DURATION)) {
                // RFC 2409 Appendix A: a duration follows the type it measures
                if (lifeType == IkeAttributeValues.LIFE_SECONDS) {
                    lifetime = v;
                } else if (lifeType == IkeAttributeValues.LIFE_KILOBYTES) {
                    kilobytes = v;
                }
            } else {
                unknown = true; // private groups (Group-Prime ...), PRF: nothing we negotiate
            }
        }
        IkeCipher c = IkeCipher.ofCode(cipher);
        HashAlgorithm h = HashAlgorithm.ofCode(hash);
        DhGroup g = DhGroup.ofCode(group);
        if (c != null && keyBits == 0) {
            keyBits = c.defaultKeyBits();
        }
        if (unknown || c == null || h == null || g == null || auth != authMethod
                || !c.allowsKeyBits(keyBits)) {
            return new Parsed(null, 0, 0, t.toString());
        }
        IkeProposal p = new IkeProposal(c, keyBits, h, g);
        return new Parsed(p, lifetime, kilobytes, p.name());
    }
}
