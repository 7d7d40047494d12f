package net.poolsa.ike.proposal;

import java.util.Objects;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.crypto.ChildSaKeys;
import net.poolsa.ike.crypto.DhGroup;

/**
 * One Quick Mode transform: the IPsec protocol, its encryption (ESP) and integrity algorithms as the data path
 * names them ({@link EspAlgorithm}, {@link IntegrityAlgorithm}), the PFS group (null without PFS) and whether it
 * uses 64-bit sequence numbers (RFC 4304).
 *
 * @param encryptionKeyBits the Key Length (AES), 192 for 3DES, 256 for ChaCha20, 0 for NULL and for AH; without
 *                          an AEAD salt
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.5">RFC 2407 §4.5</a>
 */
public record EspProposal(IpsecProtocol protocol, EspAlgorithm encryption, int encryptionKeyBits,
                          IntegrityAlgorithm integrity, DhGroup group, boolean esn) {
    public EspProposal {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        suite(protocol, encryption, encryptionKeyBits, integrity); // checks the combination
    }

    /** The suite KEYMAT is cut for. */
    public ChildSaKeys.Suite suite() {
        return suite(protocol, encryption, encryptionKeyBits, integrity);
    }

    private static ChildSaKeys.Suite suite(IpsecProtocol p, EspAlgorithm e, int bits, IntegrityAlgorithm i) {
        return new ChildSaKeys.Suite(p, e, bits, i);
    }

    /** This transform with PFS group {@code g} (null: none): the AH half of a bundle carries its ESP half's. */
    public EspProposal withGroup(DhGroup g) {
        return new EspProposal(protocol, encryption, encryptionKeyBits, integrity, g, esn);
    }

    /** strongSwan's syntax, e.g. "aes128gcm16-modp2048", "3des-sha1", "ah sha256" for AH. */
    public String name() {
        StringBuilder b = new StringBuilder();
        if (protocol == IpsecProtocol.AH) {
            b.append("ah ");
        } else {
            b.append(AlgorithmWords.espWord(encryption, encryptionKeyBits));
            if (integrity != IntegrityAlgorithm.NONE) {
                b.append('-');
            }
        }
        if (integrity != IntegrityAlgorithm.NONE) {
            b.append(AlgorithmWords.integrityWord(integrity));
        }
        if (group != null) {
            b.append('-').append(AlgorithmWords.groupWord(group));
        }
        if (esn) {
            b.append("-esn");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return name();
    }
}
