package net.poolsa.ike.auth;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpLiterals;

/**
 * The subjectAltName entries of a certificate that IKE uses (RFC 5280 §4.2.1.6), read with Bouncy Castle so that
 * an iPAddress comes out as its octets, not as a string to parse back:
 * <ul>
 * <li>dNSName and rfc822Name: the names an ID_FQDN or ID_USER_FQDN is matched against;</li>
 * <li>iPAddress of 4 or 16 octets: one address, for an ID_IPVx_ADDR and for pool ownership;</li>
 * <li>iPAddress of 8 or 32 octets: an address and a netmask. RFC 5280 reserves that form for name constraints,
 *     but a pool is made of networks (the paper's [network, mask] pairs), so poolsa honours it in a certificate's
 *     subjectAltName as the whole network when the mask is contiguous (host bits in the address are cleared, as
 *     for an ID_IPV4_ADDR_SUBNET); a non-contiguous mask grants nothing and is listed in {@link #unusable()}.
 *     It never serves as an ID_IPVx_ADDR.</li>
 * </ul>
 * Other name forms (URI, directoryName, otherName ...) are ignored.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6">RFC 5280 §4.2.1.6</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-5.1.3.6">RFC 4945 §5.1.3.6</a>
 */
final class SubjectAltNames {
    private final List<String> dnsNames;
    private final List<String> emails;
    private final List<byte[]> addresses;
    private final AddressPool pool;
    private final List<String> unusable;

    private SubjectAltNames(List<String> dnsNames, List<String> emails, List<byte[]> addresses, AddressPool pool,
                            List<String> unusable) {
        this.dnsNames = dnsNames;
        this.emails = emails;
        this.addresses = addresses;
        this.pool = pool;
        this.unusable = unusable;
    }

    /**
     * Reads {@code cert}'s subjectAltName. A certificate the JDK parsed may still carry an extension Bouncy Castle
     * cannot read (the JDK keeps a non-critical extension it fails to parse as opaque bytes): that is an
     * {@link IllegalArgumentException} naming the problem.
     */
    static SubjectAltNames of(X509Certificate cert) {
        List<String> dns = new ArrayList<>();
        List<String> emails = new ArrayList<>();
        List<byte[]> addresses = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        AddressPool.Builder pool = AddressPool.builder();
        GeneralNames names;
        try {
            names = GeneralNames.fromExtensions(new X509CertificateHolder(cert.getEncoded()).getExtensions(),
                    Extension.subjectAlternativeName);
        } catch (CertificateEncodingException | IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable subjectAltName: " + e.getMessage(), e);
        }
        if (names != null) {
            for (GeneralName n : names.getNames()) {
                switch (n.getTagNo()) {
                    case GeneralName.dNSName:
                        dns.add(ASN1IA5String.getInstance(n.getName()).getString());
                        break;
                    case GeneralName.rfc822Name:
                        emails.add(ASN1IA5String.getInstance(n.getName()).getString());
                        break;
                    case GeneralName.iPAddress:
                        addIp(ASN1OctetString.getInstance(n.getName()).getOctets(), addresses, pool, unusable);
                        break;
                    default:
                        break;
                }
            }
        }
        return new SubjectAltNames(Collections.unmodifiableList(dns), Collections.unmodifiableList(emails),
                Collections.unmodifiableList(addresses), pool.build(), Collections.unmodifiableList(unusable));
    }

    private static void addIp(byte[] o, List<byte[]> addresses, AddressPool.Builder pool, List<String> unusable) {
        if (o.length == 4 || o.length == 16) {
            addresses.add(o);
            pool.add(IpLiterals.format(inet(o)));
            return;
        }
        if (o.length == 8 || o.length == 32) {
            int half = o.length / 2;
            byte[] address = Arrays.copyOf(o, half);
            byte[] mask = Arrays.copyOfRange(o, half, o.length);
            int bits = prefixLength(mask);
            if (bits < 0) {
                unusable.add(IpLiterals.format(inet(address)) + "/" + IpLiterals.format(inet(mask)) + " (mask not contiguous)");
                return;
            }
            for (int i = 0; i < half; i++) {
                address[i] &= mask[i];
            }
            pool.add(IpLiterals.format(inet(address)) + "/" + bits);
            return;
        }
        unusable.add("iPAddress of " + o.length + " octets");
    }

    /** The prefix length of a contiguous netmask, or -1. */
    private static int prefixLength(byte[] mask) {
        BigInteger m = new BigInteger(1, mask);
        int bits = mask.length * 8;
        int ones = m.bitCount();
        BigInteger expected = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                .xor(BigInteger.ONE.shiftLeft(bits - ones).subtract(BigInteger.ONE));
        return m.equals(expected) ? ones : -1;
    }

    /** A 4- or 16-octet address as an InetAddress, never resolved. */
    static InetAddress inet(byte[] a) {
        try {
            // getByAddress never resolves; 16 octets stay IPv6 (an IPv4-mapped address is not folded to IPv4).
            return a.length == 4 ? InetAddress.getByAddress(a) : Inet6Address.getByAddress(null, a, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    List<String> dnsNames() {
        return dnsNames;
    }

    List<String> emails() {
        return emails;
    }

    /** The single addresses (4 or 16 octets each), in certificate order. */
    List<byte[]> addresses() {
        return addresses;
    }

    /** Every address the iPAddress entries cover: single addresses and whole networks. */
    AddressPool pool() {
        return pool;
    }

    /** The iPAddress entries that grant nothing, described for a log line. */
    List<String> unusable() {
        return unusable;
    }
}
