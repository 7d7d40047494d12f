package net.poolsa.ike.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CBC IVs of one ISAKMP SA (RFC 2409 Appendix B), one chain per exchange (message ID):
 * <ul>
 *   <li>Phase 1 (message ID 0): the first encrypted message uses hash(g^xi | g^xr), truncated to the block size;
 *       every later one the last ciphertext block of the previous message of phase 1, whichever side sent it.</li>
 *   <li>Quick Mode (and any other chained phase-2 exchange): the first message of message ID M uses
 *       hash(P | M) truncated, P being the phase-1 IV at that moment (after Main Mode, the last ciphertext block
 *       of message 6) and M four octets in network order; later messages of M chain as in phase 1.</li>
 *   <li>Informational exchanges: hash(P | M) for every message and never chained. An Informational exchange is
 *       one message, and strongSwan neither advances nor keeps its chain (message.c calls confirm_iv for every
 *       encrypted exchange but INFORMATIONAL_V1), so two notifies with the same message ID use the same IV.</li>
 * </ul>
 *
 * <p>The subtle cases, and what this class does about them:
 * <ol>
 *   <li><b>Only authenticated messages move a chain.</b> Decrypting gives an {@link Inbound}; the chain moves
 *       only on {@link #confirm(Inbound)}, which the exchange calls once the message's HASH verified. A forged
 *       or corrupt message, or one whose hash fails, leaves the chain as it was, so the genuine message that
 *       follows still decrypts. Until confirmed, an unknown message ID creates no state (a flood of garbage with
 *       random message IDs costs no memory).</li>
 *   <li><b>Retransmissions do not move a chain.</b> We retransmit by resending the stored datagram, never by
 *       encrypting again ({@link #sent} is called once per message). A peer's retransmission is the same bytes
 *       as the last message we accepted in that exchange: {@link #receiving} recognises it by its last
 *       ciphertext block, hands back the IV that message was decrypted with (so it decrypts again to the same
 *       plaintext) and marks it {@link Inbound#retransmission()}; confirming it is a no-op. The exchange then
 *       resends its stored reply, e.g. a responder that receives Main Mode message 5 again after it sent
 *       message 6, or a Quick Mode initiator that receives HASH(2) again after it sent HASH(3). Only the last
 *       accepted message of an exchange is recognised: a peer only ever retransmits its last message.</li>
 *   <li><b>One chain for both directions.</b> The IV of a message is the last block of the previous message of
 *       the exchange whoever sent it; a reply is built after the request was confirmed. An attempt to confirm
 *       an inbound message after the chain moved on (we sent in between) is our bug: IllegalStateException.</li>
 *   <li><b>Phase-2 chains start from the phase-1 IV as it is when the exchange starts.</b> A Quick Mode or
 *       Informational started before phase 1 completed would use an intermediate phase-1 IV; the exchanges
 *       start Quick Mode only after Main Mode. An encrypted error notify the peer sends after it failed to
 *       authenticate our Main Mode message 5 is computed from its unconfirmed phase-1 IV and may not decrypt
 *       here; it is unauthenticated anyway and is dropped as undecryptable.</li>
 *   <li><b>Bounded memory.</b> At most {@link #MAX_EXCHANGES} phase-2 chains are kept, least recently used
 *       evicted (strongSwan keeps 3 by default). A message of an evicted exchange decrypts to garbage, fails its
 *       hash and is dropped. The exchange calls {@link #forget} when it no longer answers retransmissions.</li>
 * </ol>
 * Not thread-safe: one per ISAKMP SA, confined to the IKE event loop.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-B">RFC 2409 Appendix B</a>
 */
public final class IvChain {
    /** Phase-2 exchanges whose chain is kept at once. */
    public static final int MAX_EXCHANGES = 16;

    private final HashAlgorithm hash;
    private final int blockSize;
    private final Chain phase1;
    private final Map<Integer, Chain> phase2 = new LinkedHashMap<>(32, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Chain> eldest) {
            return size() > MAX_EXCHANGES;
        }
    };

    /** The chain of a new ISAKMP SA; {@code publicI}, {@code publicR} are the KE payloads' data. */
    public IvChain(HashAlgorithm hash, int blockSize, byte[] publicI, byte[] publicR) {
        if (blockSize <= 0 || blockSize > hash.length()) {
            throw new IllegalArgumentException("block size " + blockSize + " with " + hash);
        }
        this.hash = hash;
        this.blockSize = blockSize;
        this.phase1 = new Chain(truncate(hash.hash(publicI, publicR)));
    }

    public int blockSize() {
        return blockSize;
    }

    /** The IV to encrypt the next message of exchange {@code messageId} with (0 is phase 1). */
    public byte[] sending(int messageId) {
        return chain(messageId, true).next.clone();
    }

    /** Our message of exchange {@code messageId} went out as {@code ciphertext}: the next IV is its last block. */
    public void sent(int messageId, byte[] ciphertext) {
        chain(messageId, true).next = lastBlock(ciphertext);
    }

    /**
     * The IV for a message of an Informational exchange, in either direction; keeps no state. Message ID 0, which
     * a peer should not use, gets the current phase-1 IV, as strongSwan's iv_manager hands out for it.
     */
    public byte[] informational(int messageId) {
        return messageId == 0 ? phase1.next.clone() : phase2Start(messageId);
    }

    /**
     * The IV to decrypt a received message of exchange {@code messageId} whose encrypted body is
     * {@code ciphertext}, and whether it is a retransmission of the last message accepted in that exchange.
     */
    public Inbound receiving(int messageId, byte[] ciphertext) {
        byte[] last = lastBlock(ciphertext);
        Chain c = chain(messageId, false);
        if (c != null && c.lastInBlock != null && MessageDigest.isEqual(c.lastInBlock, last)) {
            return new Inbound(messageId, c.lastInIv.clone(), last, true);
        }
        byte[] iv = c != null ? c.next.clone() : phase2Start(messageId);
        return new Inbound(messageId, iv, last, false);
    }

    /**
     * The message behind {@code in} was authenticated: the chain moves to its last block. A no-op for a
     * retransmission.
     *
     * @throws IllegalStateException when the chain moved since {@link #receiving} (a message was sent or
     *                               confirmed in between)
     */
    public void confirm(Inbound in) {
        if (in.retransmission) {
            return;
        }
        Chain c = chain(in.messageId, false);
        byte[] expected = c != null ? c.next : phase2Start(in.messageId);
        if (!Arrays.equals(expected, in.iv)) {
            throw new IllegalStateException("IV chain of message ID " + Integer.toUnsignedString(in.messageId)
                    + " moved between decryption and confirmation");
        }
        if (c == null) {
            c = new Chain(expected);
            phase2.put(in.messageId, c);
        }
        c.lastInIv = in.iv.clone();
        c.lastInBlock = in.lastBlock.clone();
        c.next = in.lastBlock.clone();
    }

    /** Drops the chain of a finished phase-2 exchange. */
    public void forget(int messageId) {
        phase2.remove(messageId);
    }

    /** Phase-2 chains held now, for tests and status. */
    public int exchanges() {
        return phase2.size();
    }

    private Chain chain(int messageId, boolean create) {
        if (messageId == 0) {
            return phase1;
        }
        Chain c = phase2.get(messageId);
        if (c == null && create) {
            c = new Chain(phase2Start(messageId));
            phase2.put(messageId, c);
        }
        return c;
    }

    private byte[] phase2Start(int messageId) {
        return truncate(hash.hash(phase1.next, Phase1Keys.uint32(messageId)));
    }

    private byte[] truncate(byte[] digest) {
        return Arrays.copyOf(digest, blockSize);
    }

    private byte[] lastBlock(byte[] ciphertext) {
        if (ciphertext.length < blockSize || ciphertext.length % blockSize != 0) {
            throw new IllegalArgumentException("ciphertext of " + ciphertext.length + " bytes with "
                    + blockSize + "-byte blocks");
        }
        return Arrays.copyOfRange(ciphertext, ciphertext.length - blockSize, ciphertext.length);
    }

    private static final class Chain {
        /** IV of the next message of the exchange, either direction. */
        byte[] next;
        /** IV and last ciphertext block of the last inbound message accepted, to spot its retransmission. */
        byte[] lastInIv;
        byte[] lastInBlock;

        Chain(byte[] next) {
            this.next = next;
        }
    }

    /** A received message's IV, before its authentication: pass it to {@link #confirm} once the HASH verified. */
    public static final class Inbound {
        private final int messageId;
        private final byte[] iv;
        private final byte[] lastBlock;
        private final boolean retransmission;

        private Inbound(int messageId, byte[] iv, byte[] lastBlock, boolean retransmission) {
            this.messageId = messageId;
            this.iv = iv;
            this.lastBlock = lastBlock;
            this.retransmission = retransmission;
        }

        public int messageId() {
            return messageId;
        }

        /** A copy of the IV to decrypt with. */
        public byte[] iv() {
            return iv.clone();
        }

        /** Same bytes as the last message accepted in this exchange: answer with the stored reply, if any. */
        public boolean retransmission() {
            return retransmission;
        }
    }
}
