package net.poolsa.esp.crypto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.poolsa.esp.sa.IpsecProtocol;

/**
 * The decisions over poolsa's one table of ESP/AH algorithms, whose rows are {@link EspAlgorithm} and
 * {@link IntegrityAlgorithm}: which combinations and key lengths an SA may have. The transform refuses what
 * {@link #check} refuses, and the configuration (YAML {@code manual:} blocks and setkey(8) files) refuses what
 * {@link #checkStaticKeys} refuses, which is {@link #check} plus the rules for keys that never change. So a
 * configuration that check-config accepts is one the data path runs.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8221">RFC 8221 (algorithm requirements for ESP and AH)</a>
 */
public final class IpsecAlgorithms {
    /** Which part of an algorithm choice a {@link Problem} is about, so a configuration error can name its field. */
    public enum Part {
        ENCRYPTION, ENCRYPTION_KEY, INTEGRITY, INTEGRITY_KEY
    }

    /** Why an algorithm choice is refused, and which part of it is wrong. */
    public record Problem(Part part, String message) {
    }

    private IpsecAlgorithms() {
    }

    /**
     * The combination the data path can run, keys aside: AH takes encryption "none" and an integrity algorithm; ESP
     * an available encryption algorithm (null included), integrity "none" with an AEAD (RFC 4303 §3.2.3), and some
     * integrity with "null" (RFC 4303 §3.2). Confidentiality-only CBC is allowed here (RFC 4303 §3.2.2).
     *
     * @return null when usable
     */
    public static Problem checkAlgorithms(IpsecProtocol protocol, EspAlgorithm encryption, IntegrityAlgorithm integrity) {
        if (protocol == IpsecProtocol.AH) {
            if (encryption != EspAlgorithm.NONE) {
                return new Problem(Part.ENCRYPTION, "AH (RFC 4302) does not encrypt: encryption must be none, not " + encryption.ikeName());
            }
            if (integrity == IntegrityAlgorithm.NONE) {
                return new Problem(Part.INTEGRITY, "AH needs an integrity algorithm (one of " + integrityNames() + ")");
            }
            return null;
        }
        if (encryption == EspAlgorithm.NONE) {
            return new Problem(Part.ENCRYPTION, "ESP needs an encryption algorithm (\"null\" for none)");
        }
        if (!encryption.available()) {
            return new Problem(Part.ENCRYPTION, encryption.ikeName() + " is disabled: 56-bit DES keys give no real "
                    + "confidentiality (-Dpoolsa.esp.allowDes=true turns it on to reproduce legacy measurements)");
        }
        if (encryption.aead() && integrity != IntegrityAlgorithm.NONE) {
            return new Problem(Part.INTEGRITY, encryption.ikeName() + " is an AEAD algorithm: integrity must be none "
                    + "(RFC 4303 §3.2.3)");
        }
        if (encryption == EspAlgorithm.NULL && integrity == IntegrityAlgorithm.NONE) {
            return new Problem(Part.INTEGRITY, "ESP with null encryption needs an integrity algorithm (RFC 4303 §3.2: "
                    + "ESP provides confidentiality, integrity or both)");
        }
        return null;
    }

    /**
     * {@link #checkAlgorithms} plus the rules for manually keyed SAs, whose keys never change: no counter-mode
     * AEAD ({@link EspAlgorithm#staticKeysAllowed()}), and no ESP without integrity (encryption alone is open to
     * active attacks, RFC 4303 §3.2.2; IKE could at least negotiate it knowingly).
     *
     * @return null when usable
     */
    public static Problem checkStaticKeys(IpsecProtocol protocol, EspAlgorithm encryption, IntegrityAlgorithm integrity) {
        String staticKeys = protocol == IpsecProtocol.ESP ? staticKeyProblem(encryption) : null;
        if (staticKeys != null) {
            return new Problem(Part.ENCRYPTION, staticKeys);
        }
        Problem p = checkAlgorithms(protocol, encryption, integrity);
        if (p != null) {
            return p;
        }
        if (protocol == IpsecProtocol.ESP && !encryption.aead() && integrity == IntegrityAlgorithm.NONE) {
            return new Problem(Part.INTEGRITY, "ESP with " + encryption.ikeName() + " needs an integrity algorithm "
                    + "(encryption without integrity is open to active attacks, RFC 4303 §3.2.2)");
        }
        return null;
    }

    /**
     * Why {@code encryption} cannot run with manual (static) keys, or null when it can: one sentence for the
     * operator with what to use instead. See {@link EspAlgorithm#staticKeysAllowed()}.
     */
    public static String staticKeyProblem(EspAlgorithm encryption) {
        if (encryption.staticKeysAllowed()) {
            return null;
        }
        return encryption.ikeName() + " cannot be used with manual keys: its nonce is the key's salt and the sequence "
                + "number, which restarts at 1 after every restart, crash or reload, so a static key repeats (key, nonce) "
                + "pairs and gives away the authentication key (RFC 4106 §10, RFC 8221 §3); use aes-cbc with "
                + "hmac-sha2-256-128 instead, or IKE keying";
    }

    /**
     * Everything the transform checks before it builds ciphers: {@link #checkAlgorithms} and both key lengths.
     *
     * @return null when usable
     */
    public static Problem check(IpsecProtocol protocol, EspAlgorithm encryption, int encryptionKeyLength,
                                IntegrityAlgorithm integrity, int integrityKeyLength) {
        Problem p = checkAlgorithms(protocol, encryption, integrity);
        if (p != null) {
            return p;
        }
        if (!encryption.acceptsKeyMaterial(encryptionKeyLength)) {
            return new Problem(Part.ENCRYPTION_KEY, "encryption " + encryption.ikeName() + " does not take "
                    + encryptionKeyLength + " bytes of key material: it needs " + keyLengths(encryption));
        }
        if (integrityKeyLength != integrity.keyLength()) {
            return new Problem(Part.INTEGRITY_KEY, "integrity " + integrity.ikeName() + " does not take "
                    + integrityKeyLength + " bytes of key: it needs " + keyLengths(integrity));
        }
        return null;
    }

    /** "[16, 24, 32] bytes", with "(key + 4-byte salt)" for an AEAD: what an error message says is needed. */
    public static String keyLengths(EspAlgorithm a) {
        return Arrays.toString(a.keyMaterialLengths()) + " bytes"
                + (a.saltLength() > 0 ? " (key + " + a.saltLength() + "-byte salt)" : "");
    }

    public static String keyLengths(IntegrityAlgorithm a) {
        return "[" + a.keyLength() + "] bytes";
    }

    /** Canonical names of the encryption algorithms ESP may name now ("none" and disabled DES left out). */
    public static List<String> encryptionNames() {
        List<String> out = new ArrayList<>();
        for (EspAlgorithm a : EspAlgorithm.values()) {
            if (a != EspAlgorithm.NONE && a.available()) {
                out.add(a.ikeName());
            }
        }
        return out;
    }

    /** Canonical names of the integrity algorithms, "none" left out. */
    public static List<String> integrityNames() {
        List<String> out = new ArrayList<>();
        for (IntegrityAlgorithm a : IntegrityAlgorithm.values()) {
            if (a != IntegrityAlgorithm.NONE) {
                out.add(a.ikeName());
            }
        }
        return out;
    }
}
