package net.poolsa.esp.crypto;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * ESP encryption algorithms: one row each of poolsa's algorithm table (with {@link IntegrityAlgorithm}; the
 * decisions over both are in {@link IpsecAlgorithms}). Canonical names are those {@link net.poolsa.esp.sa.SaKeys}
 * carries and the YAML configuration takes (case-insensitive); setkey(8) files may also use the aliases.
 * <ul>
 *   <li>{@code "aes-gcm-16"}: AES-GCM with a 16-octet ICV, key material = 16, 24 or 32 bytes of AES key followed by a
 *       4-byte salt (<a href="https://www.rfc-editor.org/rfc/rfc4106#section-8.1">RFC 4106 §8.1</a>);</li>
 *   <li>{@code "chacha20-poly1305"}: key material = 32 bytes followed by a 4-byte salt
 *       (<a href="https://www.rfc-editor.org/rfc/rfc7634#section-2">RFC 7634 §2</a>);</li>
 *   <li>{@code "aes-cbc"} (setkey: {@code rijndael-cbc}): 16, 24 or 32 byte key
 *       (<a href="https://www.rfc-editor.org/rfc/rfc3602">RFC 3602</a>);</li>
 *   <li>{@code "3des-cbc"}: 24-byte key (<a href="https://www.rfc-editor.org/rfc/rfc2451">RFC 2451</a>);</li>
 *   <li>{@code "des-cbc"}: 8-byte key (<a href="https://www.rfc-editor.org/rfc/rfc2405">RFC 2405</a>), only when
 *       {@link LegacyAlgorithms#allowDes(boolean)} is on: DES is broken and only here because the paper used it;</li>
 *   <li>{@code "null"}: no confidentiality, must be paired with an integrity algorithm
 *       (<a href="https://www.rfc-editor.org/rfc/rfc2410">RFC 2410</a>);</li>
 *   <li>{@code "none"}: no ESP encryption at all: the value AH SAs carry.</li>
 * </ul>
 * AEAD algorithms take integrity algorithm {@code "none"}. CBC algorithms may run without integrity
 * (RFC 4303 §3.2 allows confidentiality-only ESP); anti-replay is then off, as RFC 4303 §3.4.3 requires.
 */
public enum EspAlgorithm {
    AES_GCM_16("aes-gcm-16", List.of(), "AES/GCM/NoPadding", "AES", true, 8, 4, 16, 4, 16, 24, 32),
    CHACHA20_POLY1305("chacha20-poly1305", List.of(), "ChaCha20-Poly1305", "ChaCha20", true, 8, 4, 16, 4, 32),
    AES_CBC("aes-cbc", List.of("rijndael-cbc"), "AES/CBC/NoPadding", "AES", false, 16, 16, 0, 0, 16, 24, 32),
    TRIPLE_DES_CBC("3des-cbc", List.of(), "DESede/CBC/NoPadding", "DESede", false, 8, 8, 0, 0, 24),
    DES_CBC("des-cbc", List.of(), "DES/CBC/NoPadding", "DES", false, 8, 8, 0, 0, 8),
    NULL("null", List.of(), null, null, false, 0, 4, 0, 0, 0),
    NONE("none", List.of(), null, null, false, 0, 4, 0, 0, 0);

    private final String ikeName;
    private final List<String> setkeyAliases;
    private final String transformation;
    private final String keyAlgorithm;
    private final boolean aead;
    private final int ivLength;
    private final int blockSize;
    private final int icvLength;
    private final int saltLength;
    private final int[] keyLengths;

    EspAlgorithm(String ikeName, List<String> setkeyAliases, String transformation, String keyAlgorithm, boolean aead,
                 int ivLength, int blockSize, int icvLength, int saltLength, int... keyLengths) {
        this.ikeName = ikeName;
        this.setkeyAliases = setkeyAliases;
        this.transformation = transformation;
        this.keyAlgorithm = keyAlgorithm;
        this.aead = aead;
        this.ivLength = ivLength;
        this.blockSize = blockSize;
        this.icvLength = icvLength;
        this.saltLength = saltLength;
        this.keyLengths = keyLengths;
    }

    /** The algorithm for a canonical name ({@link net.poolsa.esp.sa.SaKeys}), or null when unknown. */
    public static EspAlgorithm of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (EspAlgorithm a : values()) {
            if (a.ikeName.equals(n)) {
                return a;
            }
        }
        return null;
    }

    /** The algorithm for a setkey(8) {@code -E} name: a canonical name or a setkey alias; null when unknown. */
    public static EspAlgorithm ofSetkey(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (EspAlgorithm a : values()) {
            if (a.setkeyAliases.contains(n)) {
                return a;
            }
        }
        EspAlgorithm a = of(n);
        return a == NONE ? null : a;
    }

    public String ikeName() {
        return ikeName;
    }

    /** Other names setkey(8) files use for this algorithm (e.g. {@code rijndael-cbc}). */
    public List<String> setkeyAliases() {
        return setkeyAliases;
    }

    /** JCA transformation, null for "null"/"none". */
    public String transformation() {
        return transformation;
    }

    public String keyAlgorithm() {
        return keyAlgorithm;
    }

    public boolean aead() {
        return aead;
    }

    /**
     * False for the counter-mode AEADs (AES-GCM, ChaCha20-Poly1305): their nonce is the salt of the key material and
     * the packet's sequence number, and a manually keyed SA restarts its sequence number at 1 after every restart,
     * crash or reload, so a static key would repeat (key, nonce) pairs, which reveals the GCM authentication key and
     * the XOR of plaintexts. RFC 4106 §10 and RFC 8221 §3 rule them out with static keys; IKE gives every SA
     * fresh keys. The CBC ciphers take a random IV per packet and are safe with static keys.
     */
    public boolean staticKeysAllowed() {
        return !aead;
    }

    /** False for DES-CBC unless {@link LegacyAlgorithms} allows it; true for every other algorithm. */
    public boolean available() {
        return this != DES_CBC || LegacyAlgorithms.desAllowed();
    }

    /** Bytes of explicit IV carried in each packet. */
    public int ivLength() {
        return ivLength;
    }

    /** The payload plus trailer is padded to this (at least 4: RFC 4303 §2.4 aligns the ICV to 4 bytes). */
    public int blockSize() {
        return blockSize;
    }

    /** ICV bytes of an AEAD algorithm (0 otherwise: the integrity algorithm supplies it). */
    public int icvLength() {
        return icvLength;
    }

    public int saltLength() {
        return saltLength;
    }

    /** The key material lengths this algorithm takes, ascending: cipher key plus salt (AEAD), or the key alone. */
    public int[] keyMaterialLengths() {
        int[] out = new int[keyLengths.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = keyLengths[i] + saltLength;
        }
        Arrays.sort(out);
        return out;
    }

    /** True when {@code keyMaterialLength} (cipher key plus salt) fits this algorithm. */
    public boolean acceptsKeyMaterial(int keyMaterialLength) {
        for (int k : keyLengths) {
            if (k + saltLength == keyMaterialLength) {
                return true;
            }
        }
        return false;
    }

    /** The cipher key size in bits for key material of this length: the salt is not key (AES-128-GCM: 128, not 160). */
    public int keyBits(int keyMaterialLength) {
        return Math.max(0, keyMaterialLength - saltLength) * 8;
    }
}
