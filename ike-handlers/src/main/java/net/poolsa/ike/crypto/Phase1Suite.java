package net.poolsa.ike.crypto;

/**
 * The negotiated phase-1 protection suite as far as the keys are concerned: the hash (and with it the PRF),
 * the cipher and its key size in bits. Authentication method and DH group are handled elsewhere
 * ({@link Phase1Keys}, {@link DhGroup}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-A">RFC 2409 Appendix A</a>
 */
public record Phase1Suite(HashAlgorithm hash, IkeCipher cipher, int keyBits) {

    public Phase1Suite {
        if (hash == null || cipher == null) {
            throw new IllegalArgumentException("hash and cipher must be given");
        }
        if (!cipher.allowsKeyBits(keyBits)) {
            throw new IllegalArgumentException(cipher + " has no " + keyBits + "-bit keys");
        }
    }

    /** Key size in bytes. */
    public int keyLength() {
        return keyBits / 8;
    }

    @Override
    public String toString() {
        return cipher + "-" + keyBits + "/" + hash;
    }
}
