package net.poolsa.ike.proposal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.message.DataAttribute;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IpsecAttributeValues;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.Proposal;
import net.poolsa.ike.message.ProtocolId;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.message.Transform;
import net.poolsa.ike.message.TransformId;

/**
 * The SA payload of Quick Mode: one proposal per offered transform, numbered in our order, each carrying our
 * inbound SPI (RFC 2408 §4.2: proposals of different numbers are alternatives), with the attributes in the order
 * strongSwan sends them (key length, authentication, group, encapsulation mode, life type and duration); and the
 * responder's answer, the chosen proposal with its own SPI and the one transform. An AH+ESP bundle is an AH and an
 * ESP proposal under each number (RFC 2408 §4.2: a conjunction), answered with both.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 §4.5 (attributes)</a>
 */
public final class Phase2Sa {
    /**
     * ESP ChaCha20-Poly1305 (RFC 7634): IKEv2's transform number, since the IKEv1 registry assigns none, so only a
     * peer that reads it so (poolsa) agrees; strongSwan 5.9's IKEv1 does not.
     */
    static final int ESP_CHACHA20_POLY1305 = 28;

    /**
     * The SA Life Duration in seconds of a transform that gives none. RFC 2407 §4.5: "When unspecified, the default
     * value [of SA Life Type/Duration] shall be assumed to be 28800 seconds (8 hours)": a peer that follows it expires
     * an SA we offered without one after 8 hours, so we offer one and read its absence so.
     */
    public static final long DEFAULT_LIFETIME_SECONDS = 28800;

    /**
     * A transform read from an SA payload, with its SPI, what it asks for, and the lifetime it proposes: in seconds
     * {@link #DEFAULT_LIFETIME_SECONDS} when it gives none, in kilobytes 0 when it gives none.
     */
    public record Choice(EspProposal proposal, SaMode mode, Encapsulation encapsulation, int spi, long lifetimeSeconds,
                         long lifetimeKilobytes, int proposalNumber, Transform transform) {
    }

    private Phase2Sa() {
    }

    /**
     * What the responder chose: the transform of the connection's protocol and, for an AH+ESP bundle, the AH
     * transform of the same proposal number (null without a bundle).
     */
    public record Chosen(Choice main, Choice ah) {
    }

    /** Our offer: one proposal per transform, each with {@code spi}. */
    public static SecurityAssociationPayload offer(List<EspProposal> ours, int spi, SaMode mode, Encapsulation encap,
                                                   Lifetime lifetime) {
        return offer(ours, List.of(), spi, 0, mode, encap, lifetime);
    }

    /**
     * Our offer. Without {@code bundleAh}: one proposal per transform, each with {@code spi}. With it (an AH+ESP
     * bundle): one proposal number per pair of an AH and an ESP transform, holding an AH proposal with
     * {@code ahSpi} and an ESP proposal with {@code spi} (RFC 2408 §4.2: "AH AND ESP" share the number, AH first);
     * the AH transform is in transport mode, applied over the ESP packets, and carries the ESP transform's PFS group.
     */
    public static SecurityAssociationPayload offer(List<EspProposal> ours, List<EspProposal> bundleAh, int spi,
                                                   int ahSpi, SaMode mode, Encapsulation encap, Lifetime lifetime) {
        List<Proposal> ps = new ArrayList<>();
        int number = 0;
        for (EspProposal p : ours) {
            if (bundleAh.isEmpty()) {
                ps.add(new Proposal(++number, protocolId(p.protocol()), Octets.ofInt(spi),
                        List.of(transform(1, p, mode, encap, lifetime))));
                continue;
            }
            for (EspProposal a : bundleAh) {
                number++;
                ps.add(new Proposal(number, ProtocolId.IPSEC_AH, Octets.ofInt(ahSpi),
                        List.of(transform(1, a.withGroup(p.group()), SaMode.TRANSPORT, Encapsulation.NONE, lifetime))));
                ps.add(new Proposal(number, protocolId(p.protocol()), Octets.ofInt(spi),
                        List.of(transform(1, p, mode, encap, lifetime))));
            }
        }
        return SecurityAssociationPayload.ipsec(ps);
    }

    /** The responder's SA: the chosen proposal's number, our SPI, the chosen transform as received. */
    public static SecurityAssociationPayload answer(Choice choice, int spi) {
        return answer(new Chosen(choice, null), spi, 0);
    }

    /** The responder's SA: the chosen proposal number with our SPIs and the chosen transforms (AH first). */
    public static SecurityAssociationPayload answer(Chosen chosen, int spi, int ahSpi) {
        List<Proposal> ps = new ArrayList<>();
        if (chosen.ah() != null) {
            ps.add(new Proposal(chosen.ah().proposalNumber(), ProtocolId.IPSEC_AH, Octets.ofInt(ahSpi),
                    List.of(chosen.ah().transform())));
        }
        Choice m = chosen.main();
        ps.add(new Proposal(m.proposalNumber(), protocolId(m.proposal().protocol()), Octets.ofInt(spi),
                List.of(m.transform())));
        return SecurityAssociationPayload.ipsec(ps);
    }

    /**
     * The first initiator transform, in its order, that is one of {@code ours}, in {@code mode} with {@code encap},
     * with a PFS group exactly when the message carries a KE payload ({@code withKe}; the KE value's length is
     * checked against the group when the shared secret is computed).
     *
     * @throws IkeProtocolException NO-PROPOSAL-CHOSEN when there is none
     */
    public static Choice choose(SecurityAssociationPayload offered, List<EspProposal> ours, SaMode mode,
                                Encapsulation encap, boolean withKe) throws IkeProtocolException {
        return choose(offered, ours, List.of(), mode, encap, withKe).main();
    }

    /**
     * As {@link #choose(SecurityAssociationPayload, List, SaMode, Encapsulation, boolean)}, proposal number by
     * proposal number (RFC 2408 §4.2: proposals of one number are a conjunction, taken whole or not at all): without
     * {@code bundleAh} only numbers of one proposal are candidates; with it only numbers of one AH and one ESP
     * proposal whose AH transform is one of {@code bundleAh}, in transport mode, with the ESP transform's group.
     *
     * @throws IkeProtocolException NO-PROPOSAL-CHOSEN when there is none
     */
    public static Chosen choose(SecurityAssociationPayload offered, List<EspProposal> ours,
                                List<EspProposal> bundleAh, SaMode mode, Encapsulation encap, boolean withKe)
            throws IkeProtocolException {
        List<String> seen = new ArrayList<>();
        for (List<Proposal> number : byNumber(offered.proposals())) {
            Proposal main = only(number, bundleAh.isEmpty() ? null : ProtocolId.IPSEC_ESP);
            Proposal ah = bundleAh.isEmpty() ? null : only(number, ProtocolId.IPSEC_AH);
            if (main == null || (!bundleAh.isEmpty() && (ah == null || number.size() != 2))) {
                seen.add("proposal " + number.get(0).number() + " of " + protocols(number));
                continue;
            }
            for (Transform t : main.transforms()) {
                Choice c = parse(main, t);
                if (c != null && ours.contains(c.proposal()) && c.mode() == mode && c.encapsulation() == encap
                        && (c.proposal().group() != null) == withKe) {
                    if (ah == null) {
                        return new Chosen(c, null);
                    }
                    for (Transform u : ah.transforms()) {
                        Choice a = parse(ah, u);
                        if (bundleAhFits(a, c, bundleAh)) {
                            return new Chosen(c, a);
                        }
                        seen.add(a == null ? u.toString() : "AH " + a.proposal() + " " + a.mode() + " " + a.encapsulation());
                    }
                }
                seen.add(c == null ? t.toString() : c.proposal() + " " + c.mode() + " " + c.encapsulation());
            }
        }
        throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN, "no acceptable Quick Mode proposal: offered "
                + seen + "; configured " + ours + (bundleAh.isEmpty() ? "" : " with AH " + bundleAh) + " " + mode + " "
                + encap + (withKe ? " with" : " without") + " KE");
    }

    /**
     * The initiator's check of the responder's SA: one proposal, one transform, one of those we offered in
     * {@code mode} with {@code encap}.
     */
    public static Choice accepted(SecurityAssociationPayload answer, List<EspProposal> offered, SaMode mode,
                                  Encapsulation encap) throws IkeProtocolException {
        return accepted(answer, offered, List.of(), mode, encap).main();
    }

    /**
     * The initiator's check of the responder's SA: one proposal with one transform that we offered in {@code mode}
     * with {@code encap}; for a bundle ({@code bundleAh} not empty) also an AH proposal of the same number with one
     * transform that we offered with it.
     */
    public static Chosen accepted(SecurityAssociationPayload answer, List<EspProposal> offered,
                                  List<EspProposal> bundleAh, SaMode mode, Encapsulation encap)
            throws IkeProtocolException {
        List<Proposal> ps = answer.proposals();
        int want = bundleAh.isEmpty() ? 1 : 2;
        boolean oneTransformEach = true;
        for (Proposal p : ps) {
            oneTransformEach &= p.transforms().size() == 1 && p.number() == ps.get(0).number();
        }
        Proposal main = only(ps, bundleAh.isEmpty() ? null : ProtocolId.IPSEC_ESP);
        Proposal ah = bundleAh.isEmpty() ? null : only(ps, ProtocolId.IPSEC_AH);
        if (ps.size() != want || !oneTransformEach || main == null || (want == 2 && ah == null)) {
            throw new IkeProtocolException(NotifyType.BAD_PROPOSAL_SYNTAX, "the responder's SA holds "
                    + protocols(ps) + "; an answer is " + (want == 1 ? "one proposal" : "one AH and one ESP proposal")
                    + " of one number with one transform each");
        }
        Choice c = parse(main, main.transforms().get(0));
        if (c == null || !offered.contains(c.proposal()) || c.mode() != mode || c.encapsulation() != encap) {
            throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN, "the responder chose "
                    + (c == null ? main.transforms().get(0).toString() : c.proposal() + " " + c.mode() + " " + c.encapsulation())
                    + ", which we did not offer (" + offered + " " + mode + " " + encap + ")");
        }
        if (ah == null) {
            return new Chosen(c, null);
        }
        Choice a = parse(ah, ah.transforms().get(0));
        if (!bundleAhFits(a, c, bundleAh)) {
            throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN, "the responder chose AH "
                    + (a == null ? ah.transforms().get(0).toString() : a.proposal() + " " + a.mode() + " " + a.encapsulation())
                    + " with " + c.proposal() + ", which we did not offer (AH " + bundleAh + " transport)");
        }
        return new Chosen(c, a);
    }

    /** Whether {@code ah} is one of {@code bundleAh} in transport mode, without UDP, with {@code main}'s group. */
    private static boolean bundleAhFits(Choice ah, Choice main, List<EspProposal> bundleAh) {
        return ah != null && ah.mode() == SaMode.TRANSPORT && ah.encapsulation() == Encapsulation.NONE
                && Objects.equals(ah.proposal().group(), main.proposal().group())
                && bundleAh.contains(ah.proposal().withGroup(null));
    }

    /** The proposals grouped by number, in the order the numbers first appear. */
    private static List<List<Proposal>> byNumber(List<Proposal> proposals) {
        Map<Integer, List<Proposal>> m = new LinkedHashMap<>();
        for (Proposal p : proposals) {
            m.computeIfAbsent(p.number(), k -> new ArrayList<>()).add(p);
        }
        return new ArrayList<>(m.values());
    }

    /** The one proposal of {@code protocol} among {@code ps} (null: {@code ps} must hold exactly one); else null. */
    private static Proposal only(List<Proposal> ps, ProtocolId protocol) {
        if (protocol == null) {
            return ps.size() == 1 ? ps.get(0) : null;
        }
        Proposal found = null;
        for (Proposal p : ps) {
            if (p.protocol().equals(protocol)) {
                if (found != null) {
                    return null;
                }
                found = p;
            }
        }
        return found;
    }

    private static List<String> protocols(List<Proposal> ps) {
        List<String> out = new ArrayList<>();
        for (Proposal p : ps) {
            out.add(p.protocol().toString());
        }
        return out;
    }

    static Transform transform(int number, EspProposal p, SaMode mode, Encapsulation encap, Lifetime lifetime) {
        List<DataAttribute> a = new ArrayList<>();
        if (p.encryption() == EspAlgorithm.AES_CBC || p.encryption() == EspAlgorithm.AES_GCM_16) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_KEY_LENGTH, p.encryptionKeyBits()));
        }
        if (p.integrity() != IntegrityAlgorithm.NONE) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_AUTHENTICATION_ALGORITHM, authCode(p.integrity())));
        }
        if (p.group() != null) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_GROUP_DESCRIPTION, p.group().code()));
        }
        a.add(DataAttribute.basic(AttributeType.IPSEC_ENCAPSULATION_MODE, encap.attributeValue(mode)));
        if (lifetime.hardSeconds() > 0) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS));
            a.add(DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, lifetime.hardSeconds()));
        }
        if (lifetime.hardBytes() > 0) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_KILOBYTES));
            a.add(DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, (lifetime.hardBytes() + 1023) / 1024));
        }
        if (p.esn()) {
            a.add(DataAttribute.basic(AttributeType.IPSEC_EXTENDED_SEQUENCE_NUMBER, IpsecAttributeValues.ESN_64_BIT));
        }
        return new Transform(number, transformId(p), a);
    }

    /** Reads one transform of proposal {@code p}; null when it names something this code cannot do. */
    private static Choice parse(Proposal p, Transform t) throws IkeProtocolException {
        IpsecProtocol protocol = p.protocol().equals(ProtocolId.IPSEC_ESP) ? IpsecProtocol.ESP
                : p.protocol().equals(ProtocolId.IPSEC_AH) ? IpsecProtocol.AH : null;
        if (protocol == null || p.spi().length() != 4) {
            return null;
        }
        int keyBits = 0;
        int auth = 0;
        DhGroup group = null;
        long encapValue = -1;
        long seconds = 0;
        long kilobytes = 0;
        int lifeType = 0;
        boolean esn = false;
        for (DataAttribute a : t.attributes()) {
            long v = a.longValue();
            AttributeType type = a.type(AttributeType.Space.IPSEC);
            if (type.equals(AttributeType.IPSEC_KEY_LENGTH)) {
                keyBits = (int) v;
            } else if (type.equals(AttributeType.IPSEC_AUTHENTICATION_ALGORITHM)) {
                auth = (int) v;
            } else if (type.equals(AttributeType.IPSEC_GROUP_DESCRIPTION)) {
                group = DhGroup.ofCode((int) v);
                if (group == null) {
                    return null;
                }
            } else if (type.equals(AttributeType.IPSEC_ENCAPSULATION_MODE)) {
                encapValue = v;
            } else if (type.equals(AttributeType.IPSEC_SA_LIFE_TYPE)) {
                lifeType = (int) v;
            } else if (type.equals(AttributeType.IPSEC_SA_LIFE_DURATION)) {
                if (lifeType == IpsecAttributeValues.LIFE_SECONDS) {
                    seconds = v;
                } else if (lifeType == IpsecAttributeValues.LIFE_KILOBYTES) {
                    kilobytes = v;
                }
            } else if (type.equals(AttributeType.IPSEC_EXTENDED_SEQUENCE_NUMBER)) {
                esn = v == IpsecAttributeValues.ESN_64_BIT;
                if (!esn) {
                    return null;
                }
            } else {
                return null; // ECN-Tunnel, compression, ...: nothing we negotiate
            }
        }
        SaMode mode = Encapsulation.modeOf(encapValue);
        Encapsulation encap = Encapsulation.of(encapValue);
        if (mode == null) {
            // RFC 2407 §4.5: "If unspecified, the default value shall be assumed to be unspecified (host-dependent)";
            // strongSwan always sends it, and tunnel and transport need different SAs here: refuse the guess.
            return null;
        }
        IntegrityAlgorithm integrity = integrityOf(auth);
        if (integrity == null) {
            return null;
        }
        EspProposal proposal;
        try {
            if (protocol == IpsecProtocol.AH) {
                if (!t.transformId().equals(ahTransformId(integrity))) {
                    return null;
                }
                proposal = new EspProposal(protocol, EspAlgorithm.NONE, 0, integrity, group, esn);
            } else {
                EspAlgorithm e = encryptionOf(t.transformId());
                if (e == null) {
                    return null;
                }
                int bits = e == EspAlgorithm.TRIPLE_DES_CBC ? 192 : e == EspAlgorithm.CHACHA20_POLY1305 ? 256 : keyBits;
                proposal = new EspProposal(protocol, e, bits, integrity, group, esn);
            }
        } catch (IllegalArgumentException wrongCombination) {
            return null; // e.g. AES without a key length, GCM with an integrity algorithm
        }
        return new Choice(proposal, mode, encap, p.spi().intAt(0), seconds > 0 ? seconds : DEFAULT_LIFETIME_SECONDS,
                kilobytes, p.number(), t);
    }

    /** The ISAKMP protocol ID of {@code p} (RFC 2407 §4.4.1). */
    public static ProtocolId protocolId(IpsecProtocol p) {
        return p == IpsecProtocol.AH ? ProtocolId.IPSEC_AH : ProtocolId.IPSEC_ESP;
    }

    private static TransformId transformId(EspProposal p) {
        if (p.protocol() == IpsecProtocol.AH) {
            return ahTransformId(p.integrity());
        }
        switch (p.encryption()) {
            case AES_CBC:
                return TransformId.ESP_AES_CBC;
            case AES_GCM_16:
                return TransformId.ESP_AES_GCM_16;
            case TRIPLE_DES_CBC:
                return TransformId.ESP_3DES;
            case NULL:
                return TransformId.ESP_NULL;
            case CHACHA20_POLY1305:
                return TransformId.of(ProtocolId.IPSEC_ESP, ESP_CHACHA20_POLY1305);
            default:
                throw new IllegalArgumentException(p.encryption() + " has no ESP transform ID");
        }
    }

    private static EspAlgorithm encryptionOf(TransformId id) {
        if (id.equals(TransformId.ESP_AES_CBC)) {
            return EspAlgorithm.AES_CBC;
        }
        if (id.equals(TransformId.ESP_AES_GCM_16)) {
            return EspAlgorithm.AES_GCM_16;
        }
        if (id.equals(TransformId.ESP_3DES)) {
            return EspAlgorithm.TRIPLE_DES_CBC;
        }
        if (id.equals(TransformId.ESP_NULL)) {
            return EspAlgorithm.NULL;
        }
        if (id.code() == ESP_CHACHA20_POLY1305) {
            return EspAlgorithm.CHACHA20_POLY1305;
        }
        return null;
    }

    private static TransformId ahTransformId(IntegrityAlgorithm i) {
        switch (i) {
            case HMAC_SHA1_96:
                return TransformId.AH_SHA;
            case HMAC_SHA2_256_128:
                return TransformId.AH_SHA2_256;
            case HMAC_SHA2_384_192:
                return TransformId.AH_SHA2_384;
            case HMAC_SHA2_512_256:
                return TransformId.AH_SHA2_512;
            default:
                throw new IllegalArgumentException("AH needs an integrity algorithm, not " + i);
        }
    }

    private static int authCode(IntegrityAlgorithm i) {
        switch (i) {
            case HMAC_SHA1_96:
                return IpsecAttributeValues.AUTH_HMAC_SHA1;
            case HMAC_SHA2_256_128:
                return IpsecAttributeValues.AUTH_HMAC_SHA2_256;
            case HMAC_SHA2_384_192:
                return IpsecAttributeValues.AUTH_HMAC_SHA2_384;
            case HMAC_SHA2_512_256:
                return IpsecAttributeValues.AUTH_HMAC_SHA2_512;
            default:
                throw new IllegalArgumentException("no Authentication-Algorithm for " + i);
        }
    }

    /** The integrity algorithm of an Authentication-Algorithm value (0: none given), or null if we have none. */
    private static IntegrityAlgorithm integrityOf(int auth) {
        switch (auth) {
            case 0:
                return IntegrityAlgorithm.NONE;
            case IpsecAttributeValues.AUTH_HMAC_SHA1:
                return IntegrityAlgorithm.HMAC_SHA1_96;
            case IpsecAttributeValues.AUTH_HMAC_SHA2_256:
                return IntegrityAlgorithm.HMAC_SHA2_256_128;
            case IpsecAttributeValues.AUTH_HMAC_SHA2_384:
                return IntegrityAlgorithm.HMAC_SHA2_384_192;
            case IpsecAttributeValues.AUTH_HMAC_SHA2_512:
                return IntegrityAlgorithm.HMAC_SHA2_512_256;
            default:
                return null;
        }
    }
}
