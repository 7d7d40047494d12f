package net.poolsa.ike.proposal;

import java.util.Objects;

import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;
import net.poolsa.ike.crypto.Phase1Suite;

/**
 * One phase-1 protection suite as Main Mode offers it in one KEY_IKE transform: cipher and key size, hash (and
 * with it the PRF, RFC 2409 §4), Diffie-Hellman group. The Authentication Method is the connection's, not part of
 * the suite ({@link Phase1Sa}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 */
public record IkeProposal(IkeCipher cipher, int keyBits, HashAlgorithm hash, DhGroup group) {
    public IkeProposal {
        Objects.requireNonNull(cipher, "cipher");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(group, "group");
        if (!cipher.allowsKeyBits(keyBits)) {
            throw new IllegalArgumentException(cipher + " has no " + keyBits + "-bit keys");
        }
    }

    public Phase1Suite suite() {
        return new Phase1Suite(hash, cipher, keyBits);
    }

    /** strongSwan's syntax, e.g. "aes128-sha256-modp2048". */
    public String name() {
        return AlgorithmWords.cipherWord(cipher, keyBits) + "-" + AlgorithmWords.hashWord(hash) + "-"
                + AlgorithmWords.groupWord(group);
    }

    @Override
    public String toString() {
        return name();
    }
}
