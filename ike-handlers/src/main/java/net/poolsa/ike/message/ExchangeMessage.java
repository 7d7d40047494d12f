package net.poolsa.ike.message;

import static net.poolsa.ike.message.ExchangeMessage.Protection.CLEAR;
import static net.poolsa.ike.message.ExchangeMessage.Protection.ENCRYPTED;
import static net.poolsa.ike.message.ExchangeMessage.Sender.EITHER;
import static net.poolsa.ike.message.ExchangeMessage.Sender.INITIATOR;
import static net.poolsa.ike.message.ExchangeMessage.Sender.RESPONDER;

import java.util.List;

/**
 * Which payloads each IKEv1 message may carry: the one table, checked in one place ({@link #check}).
 * A row names the exchange, the message number and its sender, whether the body travels encrypted, the
 * payloads that must come first, and for every payload type allowed its count ({@link PayloadRule}).
 * The exchange code knows which message it expects (and, from message 5 on, which authentication method
 * Main Mode negotiated) and checks a decoded message against that row before it reads a field.
 *
 * <p>Sources: RFC 2409 section 5.1 (Main Mode with signatures), 5.4 (pre-shared keys; Aggressive Mode),
 * 5.5 (Quick Mode: "a HASH payload MUST immediately follow the ISAKMP header and a SA payload MUST
 * immediately follow the HASH"), 5.7 (Informational: HASH(1) first); RFC 3947 sections 3 and 5.2 (NAT-T
 * vendor IDs in messages 1 and 2, at least two NAT-D in messages 3 and 4, NAT-OA in Quick Mode; the draft
 * payload numbers 130/131 as strongSwan accepts them); RFC 2407 section 4.6.3 (INITIAL-CONTACT in Main Mode 5
 * or 6, RESPONDER-LIFETIME in Quick Mode); RFC 3706 (DPD notifications in a protected Informational).
 * Vendor IDs are accepted in every Main Mode message, as strongSwan does: the NAT-T and DPD ones come in
 * messages 1 and 2, other vendors send theirs later. CR payloads are accepted in messages 5 and 6 with signatures
 * too: strongSwan 5.9 as initiator sends its CRs in message 5 ({@code [ ID CERT SIG CERTREQ CERTREQ N(INITIAL_CONTACT) ]} in its log).
 *
 * <p>What a violation is reported as: a payload type with no row here, INVALID-PAYLOAD-TYPE (RFC 2408
 * section 5.2), except unknown private-use types (128-255), which are ignored as strongSwan does so that
 * a peer's private extension does not fail the exchange; a count out of range or a wrong first payload,
 * PAYLOAD-MALFORMED (as strongSwan reports a message that breaks its rules); an E flag that does not
 * match the row, INVALID-FLAGS; another exchange type, INVALID-EXCHANGE-TYPE.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 section 5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3947#section-3">RFC 3947 sections 3 and 5.2</a>
 */
public enum ExchangeMessage {
    //                   exchange                         #  sender     body       first payloads
    MAIN_MODE_1(ExchangeType.IDENTITY_PROTECTION, 1, INITIATOR, CLEAR, List.of(),
            one(PayloadType.SECURITY_ASSOCIATION), vendorIds()),
    MAIN_MODE_2(ExchangeType.IDENTITY_PROTECTION, 2, RESPONDER, CLEAR, List.of(),
            one(PayloadType.SECURITY_ASSOCIATION), vendorIds()),
    MAIN_MODE_3(ExchangeType.IDENTITY_PROTECTION, 3, INITIATOR, CLEAR, List.of(),
            one(PayloadType.KEY_EXCHANGE), one(PayloadType.NONCE), natD(PayloadType.NAT_D),
            natD(PayloadType.NAT_D_DRAFT), certificateRequests(), vendorIds()),
    MAIN_MODE_4(ExchangeType.IDENTITY_PROTECTION, 4, RESPONDER, CLEAR, List.of(),
            one(PayloadType.KEY_EXCHANGE), one(PayloadType.NONCE), natD(PayloadType.NAT_D),
            natD(PayloadType.NAT_D_DRAFT), certificateRequests(), vendorIds()),
    MAIN_MODE_5_PSK(ExchangeType.IDENTITY_PROTECTION, 5, INITIATOR, ENCRYPTED, List.of(),
            one(PayloadType.IDENTIFICATION), one(PayloadType.HASH), notifications(), vendorIds()),
    MAIN_MODE_6_PSK(ExchangeType.IDENTITY_PROTECTION, 6, RESPONDER, ENCRYPTED, List.of(),
            one(PayloadType.IDENTIFICATION), one(PayloadType.HASH), notifications(), vendorIds()),
    MAIN_MODE_5_SIGNATURE(ExchangeType.IDENTITY_PROTECTION, 5, INITIATOR, ENCRYPTED, List.of(),
            one(PayloadType.IDENTIFICATION), certificates(), one(PayloadType.SIGNATURE), certificateRequests(),
            notifications(), vendorIds()),
    MAIN_MODE_6_SIGNATURE(ExchangeType.IDENTITY_PROTECTION, 6, RESPONDER, ENCRYPTED, List.of(),
            one(PayloadType.IDENTIFICATION), certificates(), one(PayloadType.SIGNATURE), certificateRequests(),
            notifications(), vendorIds()),
    QUICK_MODE_1(ExchangeType.QUICK_MODE, 1, INITIATOR, ENCRYPTED,
            List.of(PayloadType.HASH, PayloadType.SECURITY_ASSOCIATION),
            one(PayloadType.HASH), one(PayloadType.SECURITY_ASSOCIATION), one(PayloadType.NONCE),
            optional(PayloadType.KEY_EXCHANGE), pair(PayloadType.IDENTIFICATION), upTo(PayloadType.NAT_OA, 2),
            upTo(PayloadType.NAT_OA_DRAFT, 2), notifications()),
    QUICK_MODE_2(ExchangeType.QUICK_MODE, 2, RESPONDER, ENCRYPTED,
            List.of(PayloadType.HASH, PayloadType.SECURITY_ASSOCIATION),
            one(PayloadType.HASH), one(PayloadType.SECURITY_ASSOCIATION), one(PayloadType.NONCE),
            optional(PayloadType.KEY_EXCHANGE), pair(PayloadType.IDENTIFICATION), upTo(PayloadType.NAT_OA, 2),
            upTo(PayloadType.NAT_OA_DRAFT, 2), notifications()),
    QUICK_MODE_3(ExchangeType.QUICK_MODE, 3, INITIATOR, ENCRYPTED, List.of(PayloadType.HASH),
            one(PayloadType.HASH)),
    /** Under an established ISAKMP SA: notifications (errors, DPD) and deletes, authenticated by HASH(1). */
    INFORMATIONAL_PROTECTED(ExchangeType.INFORMATIONAL, 1, EITHER, ENCRYPTED, List.of(PayloadType.HASH),
            one(PayloadType.HASH), notifications(), upTo(PayloadType.DELETE, ExchangeMessage.MAX_DELETES)),
    /** Before keys exist (an error answering Main Mode 1 or 3): notifications only, nothing that could delete. */
    INFORMATIONAL_UNPROTECTED(ExchangeType.INFORMATIONAL, 1, EITHER, CLEAR, List.of(),
            new PayloadRule(PayloadType.NOTIFICATION, 1, ExchangeMessage.MAX_NOTIFICATIONS, 1)),
    /**
     * Recognised only to be refused ({@link #checkSupportedExchange}): Aggressive Mode sends the identity in
     * the clear and exposes a pre-shared key's hash to offline guessing; poolsa never offers it.
     */
    AGGRESSIVE_MODE_1(ExchangeType.AGGRESSIVE, 1, INITIATOR, CLEAR, List.of(),
            one(PayloadType.SECURITY_ASSOCIATION), one(PayloadType.KEY_EXCHANGE), one(PayloadType.NONCE),
            one(PayloadType.IDENTIFICATION), certificateRequests(), vendorIds());

    /** Most Notification payloads in one message (strongSwan's MAX_NOTIFY_PAYLOADS). */
    public static final int MAX_NOTIFICATIONS = 20;
    /** Most Vendor ID payloads in one message (strongSwan's MAX_VID_PAYLOADS). */
    public static final int MAX_VENDOR_IDS = 20;
    /** Most Certificate payloads in one message (strongSwan's MAX_CERT_PAYLOADS). */
    public static final int MAX_CERTIFICATES = 8;
    /** Most Certificate Request payloads in one message (strongSwan's MAX_CERTREQ_PAYLOADS). */
    public static final int MAX_CERTIFICATE_REQUESTS = 20;
    /** Most NAT-D payloads in one message (strongSwan's MAX_NAT_D_PAYLOADS). */
    public static final int MAX_NAT_D = 10;
    /** Most Delete payloads in one message (strongSwan's MAX_DELETE_PAYLOADS). */
    public static final int MAX_DELETES = 20;

    /** Who sends the message. */
    public enum Sender { INITIATOR, RESPONDER, EITHER }

    /** Whether everything after the header is encrypted (the E flag). */
    public enum Protection { CLEAR, ENCRYPTED }

    /**
     * How many payloads of a type a message may carry: {@code min..max}, and if any, at least
     * {@code minIfPresent} (Quick Mode's IDci/IDcr come as a pair, RFC 2409 section 5.5; NAT-D at least
     * twice, RFC 3947 section 3.2).
     */
    public record PayloadRule(PayloadType type, int min, int max, int minIfPresent) {
    }

    private final ExchangeType exchange;
    private final int number;
    private final Sender sender;
    private final Protection protection;
    private final List<PayloadType> leading;
    private final List<PayloadRule> rules;

    ExchangeMessage(ExchangeType exchange, int number, Sender sender, Protection protection, List<PayloadType> leading,
                    PayloadRule... rules) {
        this.exchange = exchange;
        this.number = number;
        this.sender = sender;
        this.protection = protection;
        this.leading = leading;
        this.rules = List.of(rules);
    }

    private static PayloadRule one(PayloadType t) {
        return new PayloadRule(t, 1, 1, 1);
    }

    private static PayloadRule optional(PayloadType t) {
        return new PayloadRule(t, 0, 1, 1);
    }

    private static PayloadRule upTo(PayloadType t, int max) {
        return new PayloadRule(t, 0, max, 1);
    }

    private static PayloadRule pair(PayloadType t) {
        return new PayloadRule(t, 0, 2, 2);
    }

    private static PayloadRule natD(PayloadType t) {
        return new PayloadRule(t, 0, MAX_NAT_D, 2);
    }

    private static PayloadRule vendorIds() {
        return new PayloadRule(PayloadType.VENDOR_ID, 0, MAX_VENDOR_IDS, 1);
    }

    private static PayloadRule notifications() {
        return new PayloadRule(PayloadType.NOTIFICATION, 0, MAX_NOTIFICATIONS, 1);
    }

    private static PayloadRule certificates() {
        return new PayloadRule(PayloadType.CERTIFICATE, 0, MAX_CERTIFICATES, 1);
    }

    private static PayloadRule certificateRequests() {
        return new PayloadRule(PayloadType.CERTIFICATE_REQUEST, 0, MAX_CERTIFICATE_REQUESTS, 1);
    }

    public ExchangeType exchange() {
        return exchange;
    }

    /** Position of the message in its exchange (1 for the Informational exchange's single message). */
    public int number() {
        return number;
    }

    public Sender sender() {
        return sender;
    }

    public Protection protection() {
        return protection;
    }

    /** The payload types that must come first, in order. */
    public List<PayloadType> leading() {
        return leading;
    }

    public List<PayloadRule> rules() {
        return rules;
    }

    /** The rule for {@code type}, or null if this message cannot carry it. */
    public PayloadRule rule(PayloadType type) {
        int i = ruleIndex(type);
        return i < 0 ? null : rules.get(i);
    }

    private int ruleIndex(PayloadType type) {
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).type().equals(type)) {
                return i;
            }
        }
        return -1;
    }

    /** Checks {@code message} against this row; see the class comment for what each violation is reported as. */
    public void check(IsakmpMessage message) throws IkeProtocolException {
        IsakmpHeader h = message.header();
        if (!h.exchangeType().equals(exchange)) {
            throw new IkeProtocolException(NotifyType.INVALID_EXCHANGE_TYPE,
                    this + " expected, got exchange type " + h.exchangeType());
        }
        if (h.encrypted() != (protection == ENCRYPTED)) {
            throw new IkeProtocolException(NotifyType.INVALID_FLAGS, this + " is sent "
                    + (protection == ENCRYPTED ? "encrypted" : "in the clear") + ", the E flag says otherwise");
        }
        int[] counts = new int[rules.size()];
        List<IsakmpPayload> payloads = message.payloads();
        for (int i = 0; i < payloads.size(); i++) {
            PayloadType t = payloads.get(i).type();
            int r = ruleIndex(t);
            if (r < 0) {
                if (t.isPrivateUse() && !t.isKnown()) {
                    continue;
                }
                throw new IkeProtocolException(NotifyType.INVALID_PAYLOAD_TYPE,
                        this + " cannot carry " + t + " (payload " + (i + 1) + ")");
            }
            counts[r]++;
        }
        for (int r = 0; r < rules.size(); r++) {
            PayloadRule rule = rules.get(r);
            int n = counts[r];
            if (n > rule.max()) {
                throw Wire.malformed(this + " carries " + n + " " + rule.type() + " payloads, at most " + rule.max());
            }
            if (n < rule.min()) {
                throw Wire.malformed(this + " needs " + rule.min() + " " + rule.type() + " payload"
                        + (rule.min() > 1 ? "s" : "") + ", got " + n);
            }
            if (n > 0 && n < rule.minIfPresent()) {
                throw Wire.malformed(this + " carries " + n + " " + rule.type() + " payload" + (n > 1 ? "s" : "")
                        + ": none or at least " + rule.minIfPresent());
            }
        }
        for (int i = 0; i < leading.size(); i++) {
            if (i >= payloads.size() || !payloads.get(i).type().equals(leading.get(i))) {
                throw Wire.malformed(this + " must begin with " + leading + ", payload " + (i + 1) + " is "
                        + (i < payloads.size() ? payloads.get(i).type() : "missing"));
            }
        }
    }

    /** The Informational row for {@code header}: protected if its body is encrypted. */
    public static ExchangeMessage informational(IsakmpHeader header) {
        return header.encrypted() ? INFORMATIONAL_PROTECTED : INFORMATIONAL_UNPROTECTED;
    }

    /**
     * Refuses a datagram of an exchange poolsa does not take part in, before any state is looked up: Main
     * Mode, Quick Mode and Informational pass; a well-formed Aggressive Mode first message is refused with
     * NO-PROPOSAL-CHOSEN (we understood it and accept no proposal of that mode), a malformed one with the
     * notify its fault earns; every other exchange type (Base, Authentication Only, New Group, Transaction,
     * unassigned numbers, and any encrypted Aggressive Mode message) is INVALID-EXCHANGE-TYPE.
     */
    public static void checkSupportedExchange(IsakmpDatagram datagram) throws IkeProtocolException {
        ExchangeType t = datagram.header().exchangeType();
        if (t.equals(ExchangeType.IDENTITY_PROTECTION) || t.equals(ExchangeType.QUICK_MODE)
                || t.equals(ExchangeType.INFORMATIONAL)) {
            return;
        }
        if (t.equals(ExchangeType.AGGRESSIVE) && datagram instanceof IsakmpMessage) {
            AGGRESSIVE_MODE_1.check((IsakmpMessage) datagram);
            throw new IkeProtocolException(NotifyType.NO_PROPOSAL_CHOSEN,
                    "Aggressive Mode is not offered (identity in the clear, PSK hash open to offline guessing)");
        }
        throw new IkeProtocolException(NotifyType.INVALID_EXCHANGE_TYPE, "exchange type " + t + " is not supported");
    }
}
