package net.poolsa.ike.message;

/**
 * Sizes and caps of the ISAKMP codec. A cap bounds the work one datagram can cause; a message beyond one
 * is PAYLOAD-MALFORMED, never a bigger allocation.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3">RFC 2408 section 3</a>
 */
public final class IsakmpConstants {
    /** The fixed ISAKMP header (RFC 2408 section 3.1). */
    public static final int HEADER_LENGTH = 28;
    /** Next Payload, RESERVED and Payload Length in front of every payload (RFC 2408 section 3.2). */
    public static final int GENERIC_HEADER_LENGTH = 4;
    /** The 16-bit Payload Length covers the generic header too, so a body is at most this long. */
    public static final int MAX_BODY_LENGTH = 0xffff - GENERIC_HEADER_LENGTH;
    /** ISAKMP version 1.0: the only Major Version we speak (RFC 2408 section 3.1). */
    public static final int MAJOR_VERSION = 1;
    /**
     * Largest datagram decoded or built: strongSwan's default {@code charon.max_packet}, which is also the
     * most a strongSwan peer sends. Certificate chains beyond it need IKE fragmentation, which we do not offer.
     */
    public static final int MAX_MESSAGE_LENGTH = 10_000;
    /** Most payloads in one message (strongSwan's largest Main Mode message has 21: SA and 20 vendor IDs). */
    public static final int MAX_PAYLOADS_PER_MESSAGE = 64;
    /**
     * Most bytes tolerated after the last payload of a decrypted body: RFC 2409 leaves the padding of an
     * encrypted message unspecified (strongSwan pads with 1 to a block of zeros, others put a pad length in
     * the last byte, which cannot say more than 255).
     */
    public static final int MAX_PADDING_LENGTH = 255;
    /** Most proposals in one SA payload. */
    public static final int MAX_PROPOSALS_PER_SA = 64;
    /** Most transforms in one proposal: its "# of Transforms" is one byte. */
    public static final int MAX_TRANSFORMS_PER_PROPOSAL = 255;
    /** Most data attributes in one transform or one RESPONDER-LIFETIME notification. */
    public static final int MAX_ATTRIBUTES = 64;

    private IsakmpConstants() {
    }
}
