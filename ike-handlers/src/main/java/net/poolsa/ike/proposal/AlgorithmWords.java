package net.poolsa.ike.proposal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;

/**
 * strongSwan's proposal keywords ("aes128-sha256-modp2048") for what this IKEv1 code and the data path speak.
 * A proposal lists algorithms of each kind; every combination of them is offered, in the order written
 * (strongSwan does the same). An error names the word at fault.
 *
 * @see <a href="https://docs.strongswan.org/docs/5.9/config/IKEv1CipherSuites.html">strongSwan IKEv1 cipher suites</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4109">RFC 4109 (algorithms for IKEv1)</a>
 */
public final class AlgorithmWords {
    private record Cipher(IkeCipher cipher, int bits) {
    }

    private record Esp(EspAlgorithm algorithm, int bits) {
    }

    private static final Map<String, Cipher> IKE_CIPHERS = Map.of(
            "aes128", new Cipher(IkeCipher.AES_CBC, 128), "aes192", new Cipher(IkeCipher.AES_CBC, 192),
            "aes256", new Cipher(IkeCipher.AES_CBC, 256), "3des", new Cipher(IkeCipher.TRIPLE_DES_CBC, 192));
    private static final Map<String, HashAlgorithm> HASHES = Map.of(
            "sha1", HashAlgorithm.SHA1, "sha", HashAlgorithm.SHA1,
            "sha256", HashAlgorithm.SHA2_256, "sha2_256", HashAlgorithm.SHA2_256,
            "sha384", HashAlgorithm.SHA2_384, "sha2_384", HashAlgorithm.SHA2_384,
            "sha512", HashAlgorithm.SHA2_512, "sha2_512", HashAlgorithm.SHA2_512);
    private static final Map<String, HashAlgorithm> PRFS = Map.of(
            "prfsha1", HashAlgorithm.SHA1, "prfsha256", HashAlgorithm.SHA2_256,
            "prfsha384", HashAlgorithm.SHA2_384, "prfsha512", HashAlgorithm.SHA2_512);
    private static final Map<String, DhGroup> GROUPS = Map.of(
            "modp1024", DhGroup.MODP_1024, "modp2048", DhGroup.MODP_2048, "modp3072", DhGroup.MODP_3072,
            "ecp256", DhGroup.ECP_256, "ecp384", DhGroup.ECP_384, "curve25519", DhGroup.CURVE25519,
            "x25519", DhGroup.CURVE25519);
    private static final Map<String, Esp> ESP_CIPHERS = Map.of(
            "aes128", new Esp(EspAlgorithm.AES_CBC, 128), "aes192", new Esp(EspAlgorithm.AES_CBC, 192),
            "aes256", new Esp(EspAlgorithm.AES_CBC, 256), "3des", new Esp(EspAlgorithm.TRIPLE_DES_CBC, 192),
            "aes128gcm16", new Esp(EspAlgorithm.AES_GCM_16, 128), "aes128gcm128", new Esp(EspAlgorithm.AES_GCM_16, 128),
            "aes256gcm16", new Esp(EspAlgorithm.AES_GCM_16, 256), "aes256gcm128", new Esp(EspAlgorithm.AES_GCM_16, 256),
            "null", new Esp(EspAlgorithm.NULL, 0), "chacha20poly1305", new Esp(EspAlgorithm.CHACHA20_POLY1305, 256));
    private static final Map<HashAlgorithm, IntegrityAlgorithm> INTEGRITY = Map.of(
            HashAlgorithm.SHA1, IntegrityAlgorithm.HMAC_SHA1_96, HashAlgorithm.SHA2_256, IntegrityAlgorithm.HMAC_SHA2_256_128,
            HashAlgorithm.SHA2_384, IntegrityAlgorithm.HMAC_SHA2_384_192, HashAlgorithm.SHA2_512, IntegrityAlgorithm.HMAC_SHA2_512_256);
    /** Words strongSwan knows that this code does not offer: refused with a reason, not as unknown. */
    private static final Set<String> KNOWN_UNSUPPORTED = Set.of("modp768", "modp1536", "modp4096", "modp6144",
            "modp8192", "ecp192", "ecp224", "ecp521", "curve448", "x448", "md5", "des", "aes192gcm16", "aes192gcm128",
            "aes128gcm8", "aes128gcm12", "aes256gcm8", "aes256gcm12", "aes128ccm16", "aes256ccm16", "aesxcbc",
            "sha256_96", "blowfish", "cast128", "camellia128", "camellia256", "prfmd5", "prfaesxcbc");

    private AlgorithmWords() {
    }

    /** Every combination of an IKE proposal string, in the order written. */
    public static List<IkeProposal> parseIke(String proposal) {
        List<Cipher> ciphers = new ArrayList<>();
        List<HashAlgorithm> hashes = new ArrayList<>();
        Set<HashAlgorithm> prfs = new LinkedHashSet<>();
        List<DhGroup> groups = new ArrayList<>();
        for (String w : words(proposal)) {
            if (IKE_CIPHERS.containsKey(w)) {
                ciphers.add(IKE_CIPHERS.get(w));
            } else if (HASHES.containsKey(w)) {
                hashes.add(HASHES.get(w));
            } else if (PRFS.containsKey(w)) {
                prfs.add(PRFS.get(w));
            } else if (GROUPS.containsKey(w)) {
                groups.add(GROUPS.get(w));
            } else {
                throw refused(proposal, w, "IKEv1 phase 1 (AES-CBC 128/192/256 or 3DES; SHA-1 or SHA-2; "
                        + "modp1024/2048/3072, ecp256/384, curve25519)");
            }
        }
        need(proposal, ciphers, "an encryption algorithm (aes128, aes256, 3des)");
        need(proposal, hashes, "a hash (sha1, sha256, sha384, sha512)");
        need(proposal, groups, "a Diffie-Hellman group (modp2048, ...)");
        for (HashAlgorithm prf : prfs) {
            if (!hashes.contains(prf)) {
                throw new IllegalArgumentException("'prf" + hashWord(prf) + "' in proposal '" + proposal
                        + "': IKEv1 has no PRF of its own, it is the HMAC of the hash, and the proposal has no '"
                        + hashWord(prf) + "'");
            }
        }
        List<IkeProposal> out = new ArrayList<>();
        for (Cipher c : ciphers) {
            for (HashAlgorithm h : hashes) {
                for (DhGroup g : groups) {
                    out.add(new IkeProposal(c.cipher(), c.bits(), h, g));
                }
            }
        }
        return out;
    }

    /**
     * Every combination of an ESP (or AH) proposal string. {@code esn} is the connection's default when the
     * proposal says neither "esn" nor "noesn"; saying both offers both.
     */
    public static List<EspProposal> parseEsp(String proposal, IpsecProtocol protocol, boolean esn) {
        List<Esp> ciphers = new ArrayList<>();
        List<IntegrityAlgorithm> integrities = new ArrayList<>();
        List<DhGroup> groups = new ArrayList<>();
        Set<Boolean> esns = new LinkedHashSet<>();
        for (String w : words(proposal)) {
            if (protocol == IpsecProtocol.ESP && ESP_CIPHERS.containsKey(w)) {
                ciphers.add(ESP_CIPHERS.get(w));
            } else if (HASHES.containsKey(w)) {
                integrities.add(INTEGRITY.get(HASHES.get(w)));
            } else if (GROUPS.containsKey(w)) {
                groups.add(GROUPS.get(w));
            } else if (w.equals("esn") || w.equals("noesn")) {
                esns.add(w.equals("esn"));
            } else {
                throw refused(proposal, w, protocol == IpsecProtocol.ESP
                        ? "ESP (aes128/192/256, aes128gcm16, aes256gcm16, 3des, null, chacha20poly1305; sha1, sha256, "
                        + "sha384, sha512; a PFS group; esn, noesn)"
                        : "AH (sha1, sha256, sha384, sha512; a PFS group; esn, noesn)");
            }
        }
        if (groups.size() > 1) {
            throw new IllegalArgumentException("proposal '" + proposal + "' names " + groups.size()
                    + " PFS groups; Quick Mode sends one KE payload, so give one per proposal");
        }
        if (protocol == IpsecProtocol.ESP) {
            need(proposal, ciphers, "an encryption algorithm (aes128gcm16, aes128, 3des, ...)");
        } else {
            need(proposal, integrities, "an integrity algorithm (sha1, sha256, ...)");
            ciphers.add(new Esp(EspAlgorithm.NONE, 0));
        }
        if (esns.isEmpty()) {
            esns.add(esn);
        }
        List<EspProposal> out = new ArrayList<>();
        DhGroup group = groups.isEmpty() ? null : groups.get(0);
        for (Esp c : ciphers) {
            if (c.algorithm().aead() && !integrities.isEmpty()) {
                throw new IllegalArgumentException("proposal '" + proposal + "': " + espWord(c.algorithm(), c.bits())
                        + " is combined mode and takes no integrity algorithm");
            }
            if (!c.algorithm().aead() && protocol == IpsecProtocol.ESP && integrities.isEmpty()) {
                throw new IllegalArgumentException("proposal '" + proposal + "': " + espWord(c.algorithm(), c.bits())
                        + " needs an integrity algorithm (sha1, sha256, ...)");
            }
            List<IntegrityAlgorithm> is = c.algorithm().aead() ? List.of(IntegrityAlgorithm.NONE) : integrities;
            for (IntegrityAlgorithm i : is) {
                for (boolean e : esns) {
                    out.add(new EspProposal(protocol, c.algorithm(), c.bits(), i, group, e));
                }
            }
        }
        return out;
    }

    /**
     * The AH half of an AH+ESP bundle, e.g. "sha256": as {@link #parseEsp} for AH, without a PFS group (the
     * bundle's group is its ESP proposal's, carried in both transforms).
     */
    public static List<EspProposal> parseBundleAh(String proposal, boolean esn) {
        List<EspProposal> out = parseEsp(proposal, IpsecProtocol.AH, esn);
        if (out.get(0).group() != null) {
            throw new IllegalArgumentException("AH bundle proposal '" + proposal + "' names PFS group "
                    + groupWord(out.get(0).group()) + "; a bundle takes its group from the ESP proposal");
        }
        return out;
    }

    private static List<String> words(String proposal) {
        if (proposal == null || proposal.isBlank()) {
            throw new IllegalArgumentException("empty proposal");
        }
        List<String> out = new ArrayList<>();
        for (String w : proposal.toLowerCase(Locale.ROOT).trim().split("-")) {
            if (w.isEmpty()) {
                throw new IllegalArgumentException("proposal '" + proposal + "' has an empty word");
            }
            out.add(w);
        }
        return out;
    }

    private static IllegalArgumentException refused(String proposal, String word, String what) {
        if (KNOWN_UNSUPPORTED.contains(word)) {
            return new IllegalArgumentException("'" + word + "' in proposal '" + proposal
                    + "' is not supported here; supported for " + what);
        }
        return new IllegalArgumentException("'" + word + "' in proposal '" + proposal
                + "' is not a known algorithm keyword for " + what);
    }

    private static void need(String proposal, List<?> list, String what) {
        if (list.isEmpty()) {
            throw new IllegalArgumentException("proposal '" + proposal + "' lacks " + what);
        }
    }

    static String cipherWord(IkeCipher cipher, int bits) {
        return cipher == IkeCipher.TRIPLE_DES_CBC ? "3des" : "aes" + bits;
    }

    static String hashWord(HashAlgorithm h) {
        switch (h) {
            case SHA1:
                return "sha1";
            case SHA2_256:
                return "sha256";
            case SHA2_384:
                return "sha384";
            default:
                return "sha512";
        }
    }

    static String integrityWord(IntegrityAlgorithm i) {
        for (Map.Entry<HashAlgorithm, IntegrityAlgorithm> e : INTEGRITY.entrySet()) {
            if (e.getValue() == i) {
                return hashWord(e.getKey());
            }
        }
        throw new IllegalArgumentException("no keyword for " + i);
    }

    static String groupWord(DhGroup g) {
        switch (g) {
            case MODP_1024:
                return "modp1024";
            case MODP_2048:
                return "modp2048";
            case MODP_3072:
                return "modp3072";
            case ECP_256:
                return "ecp256";
            case ECP_384:
                return "ecp384";
            default:
                return "curve25519";
        }
    }

    static String espWord(EspAlgorithm a, int bits) {
        switch (a) {
            case AES_CBC:
                return "aes" + bits;
            case AES_GCM_16:
                return "aes" + bits + "gcm16";
            case TRIPLE_DES_CBC:
                return "3des";
            case CHACHA20_POLY1305:
                return "chacha20poly1305";
            case NULL:
                return "null";
            default:
                return a.ikeName();
        }
    }
}
