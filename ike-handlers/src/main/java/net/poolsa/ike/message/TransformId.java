package net.poolsa.ike.message;

import java.util.Map;

/**
 * A Transform ID, an open registry per protocol: the same number names different transforms under ISAKMP,
 * AH, ESP and IPCOMP, so a value carries the protocol of the proposal it belongs to and two values are
 * equal only with the same protocol and number.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.4.2">RFC 2407 sections 4.4.2-4.4.5</a>
 * @see <a href="https://www.iana.org/assignments/isakmp-registry/isakmp-registry.xhtml">IANA ISAKMP registry</a>
 */
public final class TransformId extends RegistryValue {
    private static final Table<TransformId> ISAKMP = new Table<>();
    private static final Table<TransformId> AH = new Table<>();
    private static final Table<TransformId> ESP = new Table<>();
    private static final Table<TransformId> IPCOMP = new Table<>();
    private static final Map<ProtocolId, Table<TransformId>> BY_PROTOCOL = Map.of(ProtocolId.ISAKMP, ISAKMP,
            ProtocolId.IPSEC_AH, AH, ProtocolId.IPSEC_ESP, ESP, ProtocolId.IPCOMP, IPCOMP);

    /** The only phase-1 transform of the IPsec DOI; the algorithms are its attributes. */
    public static final TransformId KEY_IKE = known(ProtocolId.ISAKMP, 1, "KEY_IKE");

    public static final TransformId AH_MD5 = known(ProtocolId.IPSEC_AH, 2, "AH_MD5");
    public static final TransformId AH_SHA = known(ProtocolId.IPSEC_AH, 3, "AH_SHA");
    public static final TransformId AH_DES = known(ProtocolId.IPSEC_AH, 4, "AH_DES");
    public static final TransformId AH_SHA2_256 = known(ProtocolId.IPSEC_AH, 5, "AH_SHA2-256");
    public static final TransformId AH_SHA2_384 = known(ProtocolId.IPSEC_AH, 6, "AH_SHA2-384");
    public static final TransformId AH_SHA2_512 = known(ProtocolId.IPSEC_AH, 7, "AH_SHA2-512");
    public static final TransformId AH_RIPEMD = known(ProtocolId.IPSEC_AH, 8, "AH_RIPEMD");
    public static final TransformId AH_AES_XCBC_MAC = known(ProtocolId.IPSEC_AH, 9, "AH_AES-XCBC-MAC");
    public static final TransformId AH_AES_128_GMAC = known(ProtocolId.IPSEC_AH, 11, "AH_AES-128-GMAC");
    public static final TransformId AH_AES_192_GMAC = known(ProtocolId.IPSEC_AH, 12, "AH_AES-192-GMAC");
    public static final TransformId AH_AES_256_GMAC = known(ProtocolId.IPSEC_AH, 13, "AH_AES-256-GMAC");

    public static final TransformId ESP_DES_IV64 = known(ProtocolId.IPSEC_ESP, 1, "ESP_DES_IV64");
    public static final TransformId ESP_DES = known(ProtocolId.IPSEC_ESP, 2, "ESP_DES");
    public static final TransformId ESP_3DES = known(ProtocolId.IPSEC_ESP, 3, "ESP_3DES");
    public static final TransformId ESP_RC5 = known(ProtocolId.IPSEC_ESP, 4, "ESP_RC5");
    public static final TransformId ESP_IDEA = known(ProtocolId.IPSEC_ESP, 5, "ESP_IDEA");
    public static final TransformId ESP_CAST = known(ProtocolId.IPSEC_ESP, 6, "ESP_CAST");
    public static final TransformId ESP_BLOWFISH = known(ProtocolId.IPSEC_ESP, 7, "ESP_BLOWFISH");
    public static final TransformId ESP_3IDEA = known(ProtocolId.IPSEC_ESP, 8, "ESP_3IDEA");
    public static final TransformId ESP_DES_IV32 = known(ProtocolId.IPSEC_ESP, 9, "ESP_DES_IV32");
    public static final TransformId ESP_RC4 = known(ProtocolId.IPSEC_ESP, 10, "ESP_RC4");
    public static final TransformId ESP_NULL = known(ProtocolId.IPSEC_ESP, 11, "ESP_NULL");
    public static final TransformId ESP_AES_CBC = known(ProtocolId.IPSEC_ESP, 12, "ESP_AES-CBC");
    public static final TransformId ESP_AES_CTR = known(ProtocolId.IPSEC_ESP, 13, "ESP_AES-CTR");
    public static final TransformId ESP_AES_CCM_8 = known(ProtocolId.IPSEC_ESP, 14, "ESP_AES-CCM_8");
    public static final TransformId ESP_AES_CCM_12 = known(ProtocolId.IPSEC_ESP, 15, "ESP_AES-CCM_12");
    public static final TransformId ESP_AES_CCM_16 = known(ProtocolId.IPSEC_ESP, 16, "ESP_AES-CCM_16");
    public static final TransformId ESP_AES_GCM_8 = known(ProtocolId.IPSEC_ESP, 18, "ESP_AES-GCM_8");
    public static final TransformId ESP_AES_GCM_12 = known(ProtocolId.IPSEC_ESP, 19, "ESP_AES-GCM_12");
    public static final TransformId ESP_AES_GCM_16 = known(ProtocolId.IPSEC_ESP, 20, "ESP_AES-GCM_16");
    public static final TransformId ESP_NULL_AUTH_AES_GMAC = known(ProtocolId.IPSEC_ESP, 23, "ESP_NULL_AUTH_AES-GMAC");

    public static final TransformId IPCOMP_OUI = known(ProtocolId.IPCOMP, 1, "IPCOMP_OUI");
    public static final TransformId IPCOMP_DEFLATE = known(ProtocolId.IPCOMP, 2, "IPCOMP_DEFLATE");
    public static final TransformId IPCOMP_LZS = known(ProtocolId.IPCOMP, 3, "IPCOMP_LZS");
    public static final TransformId IPCOMP_LZJH = known(ProtocolId.IPCOMP, 4, "IPCOMP_LZJH");

    private final ProtocolId protocol;

    private TransformId(ProtocolId protocol, int code, String name, boolean known) {
        super(code, name, known);
        this.protocol = protocol;
    }

    private static TransformId known(ProtocolId protocol, int code, String name) {
        return BY_PROTOCOL.get(protocol).add(new TransformId(protocol, code, name, true));
    }

    /** The named transform {@code code} of {@code protocol}, or a {@code TRANSFORM(n)} value; code must fit one byte. */
    public static TransformId of(ProtocolId protocol, int code) {
        Wire.checkField("transform ID", code, 8);
        Table<TransformId> table = BY_PROTOCOL.get(protocol);
        if (table == null) {
            return new TransformId(protocol, code, unknownName("TRANSFORM", code), false);
        }
        return table.of(code, c -> new TransformId(protocol, c, unknownName("TRANSFORM", c), false));
    }

    /** The protocol whose registry this number belongs to. */
    public ProtocolId protocol() {
        return protocol;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && ((TransformId) o).protocol.equals(protocol);
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + protocol.hashCode();
    }
}
