package net.poolsa.ike.exchange;

import java.util.Arrays;

import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.DhKeyPair;
import net.poolsa.ike.crypto.IkeCryptoException;
import net.poolsa.ike.crypto.IkeRandom;

/**
 * Our Diffie-Hellman pair and g^xy computed with it ({@link Offload}'s result): the exchange derives its keys from it
 * and then wipes it; an exchange that ended meanwhile wipes it unused.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5 (g^xy)</a>
 */
record Agreement(DhKeyPair pair, byte[] gxy) {
    /** A fresh pair of {@code group} and its agreement with {@code peerPublic}; the pair is wiped if that fails. */
    static Agreement generate(DhGroup group, IkeRandom random, byte[] peerPublic) throws IkeCryptoException {
        DhKeyPair p = group.generate(random);
        try {
            return new Agreement(p, p.sharedSecret(peerPublic));
        } catch (IkeCryptoException | RuntimeException e) {
            p.destroy();
            throw e;
        }
    }

    /** Zeroes g^xy and the private value; null (a failed computation) is nothing to wipe. */
    static void wipe(Agreement a) {
        if (a != null) {
            Arrays.fill(a.gxy, (byte) 0);
            a.pair.destroy();
        }
    }

    /** Names the group only. */
    @Override
    public String toString() {
        return "Agreement[" + pair.group() + "]";
    }
}
