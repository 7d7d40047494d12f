package net.poolsa.ike.auth;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x500.X500Name;

import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;

/**
 * A phase-1 identity that a certificate can prove, and the ID payload that carries it (RFC 4945 §3.1):
 * <ul>
 * <li>{@link Kind#DN}: ID_DER_ASN1_DN, the certificate's subject; DNs compare as RFC 5280 §7.1 names
 *     ({@link X500Principal#equals}: attribute values case- and space-insensitive);</li>
 * <li>{@link Kind#FQDN}: ID_FQDN, a subjectAltName dNSName, compared case-insensitively, no wildcards;</li>
 * <li>{@link Kind#USER_FQDN}: ID_USER_FQDN, a subjectAltName rfc822Name; the domain case-insensitively, the
 *     local part exactly;</li>
 * <li>{@link Kind#ADDRESS}: ID_IPV4_ADDR or ID_IPV6_ADDR, a subjectAltName iPAddress of exactly that address
 *     (4 or 16 octets; a network entry does not prove an address identity).</li>
 * </ul>
 * The text forms {@link #parse} reads are strongSwan's: a string with '=' is a DN ("C=CH, O=poolsa, CN=gw"), an
 * IP literal an address, one with '@' inside a user FQDN, anything else (or a leading '@') an FQDN. A DN is written
 * in the order of its RDNs in the certificate, most significant first, as strongSwan and OpenSSL print it (the
 * reverse of RFC 4514's string order, which Java's {@link X500Principal#getName()} uses).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-3.1">RFC 4945 §3.1</a>
 */
public final class Identity {
    /** The identity forms a certificate can prove. */
    public enum Kind { DN, FQDN, USER_FQDN, ADDRESS }

    private final Kind kind;
    private final X500Principal dn;
    private final String name;
    private final byte[] address;

    private Identity(Kind kind, X500Principal dn, String name, byte[] address) {
        this.kind = kind;
        this.dn = dn;
        this.name = name;
        this.address = address;
    }

    /** Reads an identity as a configuration writes it (see the class comment). */
    public static Identity parse(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("an empty identity");
        }
        if (t.indexOf('=') >= 0) {
            try {
                return dn(new X500Principal(new X500Name(t).getEncoded()));
            } catch (IllegalArgumentException | IOException e) {
                throw new IllegalArgumentException("'" + text + "' is not a distinguished name: " + e.getMessage(), e);
            }
        }
        if (t.startsWith("@")) {
            return fqdn(t.substring(1));
        }
        if (t.indexOf(':') >= 0 || t.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            return new Identity(Kind.ADDRESS, null, null, IpLiterals.parse(t));
        }
        int at = t.indexOf('@');
        if (at > 0 && at < t.length() - 1) {
            return new Identity(Kind.USER_FQDN, null, t, null);
        }
        return fqdn(t);
    }

    /** The subject DN of {@code cert}. */
    public static Identity subjectOf(X509Certificate cert) {
        return dn(cert.getSubjectX500Principal());
    }

    private static Identity dn(X500Principal p) {
        return new Identity(Kind.DN, p, null, null);
    }

    private static Identity fqdn(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an empty FQDN");
        }
        return new Identity(Kind.FQDN, null, name, null);
    }

    /**
     * The identity an ID payload names, or null for an ID type no certificate proves here (ID_KEY_ID, subnets,
     * ranges, ID_DER_ASN1_GN, unknown types).
     */
    public static Identity of(IdentificationPayload id) {
        IdType t = id.idType();
        if (t.equals(IdType.ID_DER_ASN1_DN)) {
            try {
                return dn(new X500Principal(id.data()));
            } catch (IllegalArgumentException e) {
                return null; // a DER SEQUENCE that is not a Name
            }
        }
        if (t.equals(IdType.ID_FQDN)) {
            return new Identity(Kind.FQDN, null, id.name(), null);
        }
        if (t.equals(IdType.ID_USER_FQDN)) {
            return new Identity(Kind.USER_FQDN, null, id.name(), null);
        }
        if (t.equals(IdType.ID_IPV4_ADDR) || t.equals(IdType.ID_IPV6_ADDR)) {
            return new Identity(Kind.ADDRESS, null, null, id.data());
        }
        return null;
    }

    public Kind kind() {
        return kind;
    }

    /** The phase-1 ID payload (Protocol ID and Port zero) that carries this identity. */
    public IdentificationPayload toPayload() {
        switch (kind) {
            case DN:
                return IdentificationPayload.derAsn1Dn(dn.getEncoded());
            case FQDN:
                return IdentificationPayload.fqdn(name);
            case USER_FQDN:
                return IdentificationPayload.userFqdn(name);
            default:
                return new IdentificationPayload(address.length == 4 ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR, 0, 0,
                        address);
        }
    }

    /** True when {@code cert} proves this identity: its subject DN, or one of its subjectAltName entries. */
    public boolean heldBy(X509Certificate cert) {
        return heldBy(cert, SubjectAltNames.of(cert));
    }

    boolean heldBy(X509Certificate cert, SubjectAltNames san) {
        switch (kind) {
            case DN:
                return dn.equals(cert.getSubjectX500Principal());
            case FQDN:
                return san.dnsNames().stream().anyMatch(n -> n.equalsIgnoreCase(name));
            case USER_FQDN:
                return san.emails().stream().anyMatch(this::sameEmail);
            default:
                return san.addresses().stream().anyMatch(a -> Arrays.equals(a, address));
        }
    }

    private boolean sameEmail(String other) {
        int at = name.lastIndexOf('@');
        int otherAt = other.lastIndexOf('@');
        return at >= 0 && at == otherAt && name.regionMatches(0, other, 0, at)
                && name.substring(at).equalsIgnoreCase(other.substring(otherAt));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Identity)) {
            return false;
        }
        Identity i = (Identity) o;
        if (kind != i.kind) {
            return false;
        }
        switch (kind) {
            case DN:
                return dn.equals(i.dn);
            case FQDN:
                return name.equalsIgnoreCase(i.name);
            case USER_FQDN:
                return sameEmail(i.name);
            default:
                return Arrays.equals(address, i.address);
        }
    }

    @Override
    public int hashCode() {
        switch (kind) {
            case DN:
                return dn.hashCode();
            case FQDN:
                return name.toLowerCase(Locale.ROOT).hashCode();
            case USER_FQDN:
                return name.substring(name.lastIndexOf('@')).toLowerCase(Locale.ROOT).hashCode();
            default:
                return Arrays.hashCode(address);
        }
    }

    /** The text form {@link #parse} reads back (a DN most significant RDN first). */
    @Override
    public String toString() {
        switch (kind) {
            case DN:
                return Certificates.name(dn);
            case FQDN:
            case USER_FQDN:
                return name;
            default:
                return IpLiterals.format(SubjectAltNames.inet(address));
        }
    }
}
