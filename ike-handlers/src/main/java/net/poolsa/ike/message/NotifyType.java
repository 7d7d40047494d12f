package net.poolsa.ike.message;

/**
 * An ISAKMP Notify Message Type, an open registry: the errors of RFC 2408 (1-30, the notify a malformed
 * message makes us send back), the IPsec DOI status types of RFC 2407 and the Dead Peer Detection
 * messages of RFC 3706. Other numbers are kept as {@code NOTIFY(n)}.
 *
 * <p>Ranges (RFC 2408 section 3.14.1): 1-8191 errors, 8192-16383 private-use errors, 16384-24575 status,
 * 24576-32767 DOI-specific status, 32768-40959 private-use status (DPD lives there), 40960-65535 reserved.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14.1">RFC 2408 section 3.14.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.3">RFC 2407 section 4.6.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3706#section-5.1">RFC 3706 section 5.1</a>
 */
public final class NotifyType extends RegistryValue {
    private static final Table<NotifyType> KNOWN = new Table<>();

    public static final NotifyType INVALID_PAYLOAD_TYPE = known(1, "INVALID-PAYLOAD-TYPE");
    public static final NotifyType DOI_NOT_SUPPORTED = known(2, "DOI-NOT-SUPPORTED");
    public static final NotifyType SITUATION_NOT_SUPPORTED = known(3, "SITUATION-NOT-SUPPORTED");
    public static final NotifyType INVALID_COOKIE = known(4, "INVALID-COOKIE");
    public static final NotifyType INVALID_MAJOR_VERSION = known(5, "INVALID-MAJOR-VERSION");
    public static final NotifyType INVALID_MINOR_VERSION = known(6, "INVALID-MINOR-VERSION");
    public static final NotifyType INVALID_EXCHANGE_TYPE = known(7, "INVALID-EXCHANGE-TYPE");
    public static final NotifyType INVALID_FLAGS = known(8, "INVALID-FLAGS");
    public static final NotifyType INVALID_MESSAGE_ID = known(9, "INVALID-MESSAGE-ID");
    public static final NotifyType INVALID_PROTOCOL_ID = known(10, "INVALID-PROTOCOL-ID");
    public static final NotifyType INVALID_SPI = known(11, "INVALID-SPI");
    public static final NotifyType INVALID_TRANSFORM_ID = known(12, "INVALID-TRANSFORM-ID");
    public static final NotifyType ATTRIBUTES_NOT_SUPPORTED = known(13, "ATTRIBUTES-NOT-SUPPORTED");
    public static final NotifyType NO_PROPOSAL_CHOSEN = known(14, "NO-PROPOSAL-CHOSEN");
    public static final NotifyType BAD_PROPOSAL_SYNTAX = known(15, "BAD-PROPOSAL-SYNTAX");
    /** A payload's fixed fields are truncated or its length disagrees with its content. */
    public static final NotifyType PAYLOAD_MALFORMED = known(16, "PAYLOAD-MALFORMED");
    public static final NotifyType INVALID_KEY_INFORMATION = known(17, "INVALID-KEY-INFORMATION");
    /** An Identification payload's data does not fit its ID type, or the type is not acceptable here. */
    public static final NotifyType INVALID_ID_INFORMATION = known(18, "INVALID-ID-INFORMATION");
    public static final NotifyType INVALID_CERT_ENCODING = known(19, "INVALID-CERT-ENCODING");
    public static final NotifyType INVALID_CERTIFICATE = known(20, "INVALID-CERTIFICATE");
    public static final NotifyType CERT_TYPE_UNSUPPORTED = known(21, "CERT-TYPE-UNSUPPORTED");
    public static final NotifyType INVALID_CERT_AUTHORITY = known(22, "INVALID-CERT-AUTHORITY");
    public static final NotifyType INVALID_HASH_INFORMATION = known(23, "INVALID-HASH-INFORMATION");
    public static final NotifyType AUTHENTICATION_FAILED = known(24, "AUTHENTICATION-FAILED");
    public static final NotifyType INVALID_SIGNATURE = known(25, "INVALID-SIGNATURE");
    public static final NotifyType ADDRESS_NOTIFICATION = known(26, "ADDRESS-NOTIFICATION");
    public static final NotifyType NOTIFY_SA_LIFETIME = known(27, "NOTIFY-SA-LIFETIME");
    public static final NotifyType CERTIFICATE_UNAVAILABLE = known(28, "CERTIFICATE-UNAVAILABLE");
    public static final NotifyType UNSUPPORTED_EXCHANGE_TYPE = known(29, "UNSUPPORTED-EXCHANGE-TYPE");
    public static final NotifyType UNEQUAL_PAYLOAD_LENGTHS = known(30, "UNEQUAL-PAYLOAD-LENGTHS");
    public static final NotifyType CONNECTED = known(16384, "CONNECTED");
    /** RFC 2407 section 4.6.3.1: data is a list of SA life attributes. */
    public static final NotifyType RESPONDER_LIFETIME = known(24576, "RESPONDER-LIFETIME");
    /** RFC 2407 section 4.6.3.2: data is a 4-byte replay detection state. */
    public static final NotifyType REPLAY_STATUS = known(24577, "REPLAY-STATUS");
    /** RFC 2407 section 4.6.3.3: SPI is the ISAKMP cookie pair, no data. */
    public static final NotifyType INITIAL_CONTACT = known(24578, "INITIAL-CONTACT");
    /** RFC 3706 section 5.1: SPI is the ISAKMP cookie pair, data a 4-byte sequence number. */
    public static final NotifyType R_U_THERE = known(36136, "R-U-THERE");
    public static final NotifyType R_U_THERE_ACK = known(36137, "R-U-THERE-ACK");

    /** Last number of the error ranges (RFC 2408 section 3.14.1). */
    public static final int LAST_ERROR = 16383;

    private NotifyType(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static NotifyType known(int code, String name) {
        return KNOWN.add(new NotifyType(code, name, true));
    }

    /** The named constant for {@code code}, or a {@code NOTIFY(code)} value; code must fit two bytes. */
    public static NotifyType of(int code) {
        return KNOWN.of(Wire.checkField("notify type", code, 16), c -> new NotifyType(c, unknownName("NOTIFY", c), false));
    }

    /** True for the error types (1-16383): the notification reports a failure, not a status. */
    public boolean isError() {
        return code() >= 1 && code() <= LAST_ERROR;
    }
}
