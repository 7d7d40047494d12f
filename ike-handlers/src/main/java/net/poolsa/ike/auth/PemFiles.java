package net.poolsa.ike.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.CharArrayReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRL;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads the credential files: certificates and CRLs with the JDK's X.509 factory (PEM, several per file, or
 * one DER structure), private keys with Bouncy Castle's PEM parser, which knows the formats the JDK does not:
 * PKCS#8 ({@code PRIVATE KEY}), traditional RSA ({@code RSA PRIVATE KEY}, PKCS#1) and EC
 * ({@code EC PRIVATE KEY}, RFC 5915, with or without the {@code EC PARAMETERS} block OpenSSL puts before it).
 * An encrypted key ({@code ENCRYPTED PRIVATE KEY}, or a traditional key with {@code Proc-Type: 4,ENCRYPTED}) is
 * refused: the appliance has nobody to ask for a passphrase, and protects the file by its permissions instead.
 * The keys come out as the JDK's own key objects, so that the JDK's providers sign with them.
 */
final class PemFiles {
    /** More certificates than any sensible chain or CA bundle holds: a file with more is refused, not read on. */
    static final int MAX_CERTIFICATES_PER_FILE = 64;

    private PemFiles() {
    }

    /** Every certificate in {@code file}, in file order; at least one. */
    static List<X509Certificate> certificates(Path file) throws CredentialException {
        byte[] bytes = read(file);
        Collection<? extends Certificate> found;
        try {
            found = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (CertificateException e) {
            throw new CredentialException(file, "is not an X.509 certificate in PEM or DER (" + e.getMessage() + ")");
        }
        if (found.isEmpty()) {
            throw new CredentialException(file, "holds no certificate (expected PEM blocks '-----BEGIN CERTIFICATE-----' or DER)");
        }
        if (found.size() > MAX_CERTIFICATES_PER_FILE) {
            throw new CredentialException(file, "holds " + found.size() + " certificates, more than "
                    + MAX_CERTIFICATES_PER_FILE);
        }
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : found) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    /** Every CRL in {@code file}, in file order; at least one. */
    static List<X509CRL> crls(Path file) throws CredentialException {
        byte[] bytes = read(file);
        Collection<? extends CRL> found;
        try {
            found = CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes));
        } catch (CertificateException | CRLException e) {
            throw new CredentialException(file, "is not an X.509 CRL in PEM or DER (" + e.getMessage() + ")");
        }
        if (found.isEmpty()) {
            throw new CredentialException(file, "holds no CRL (expected PEM blocks '-----BEGIN X509 CRL-----' or DER)");
        }
        List<X509CRL> out = new ArrayList<>();
        for (CRL c : found) {
            out.add((X509CRL) c);
        }
        return out;
    }

    /**
     * The one private key in {@code file}. The bytes read are zeroed once parsed; the key objects themselves
     * cannot be (the JDK's keys do not implement {@code destroy}), so they live as long as the credentials.
     */
    static PrivateKey privateKey(Path file) throws CredentialException {
        byte[] bytes = read(file);
        CharBuffer decoded = StandardCharsets.US_ASCII.decode(ByteBuffer.wrap(bytes));
        char[] text = new char[decoded.remaining()];
        decoded.get(text);
        Arrays.fill(decoded.array(), '\0');
        Arrays.fill(bytes, (byte) 0);
        try (PEMParser parser = new PEMParser(new CharArrayReader(text))) {
            PrivateKey key = null;
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                PrivateKey k = toKey(file, o);
                if (k == null) {
                    continue;
                }
                if (key != null) {
                    throw new CredentialException(file, "holds more than one private key");
                }
                key = k;
            }
            if (key == null) {
                throw new CredentialException(file, "holds no private key (expected a PEM block 'PRIVATE KEY', "
                        + "'RSA PRIVATE KEY' or 'EC PRIVATE KEY')");
            }
            return key;
        } catch (IOException e) {
            // Bouncy Castle names the block it could not read, never its content.
            throw new CredentialException(file, "is not a readable PEM private key (" + e.getMessage() + ")");
        } finally {
            Arrays.fill(text, '\0');
        }
    }

    /** The key a PEM object holds, null for objects that are no key (EC PARAMETERS), a refusal for the rest. */
    private static PrivateKey toKey(Path file, Object o) throws CredentialException, IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (o instanceof PrivateKeyInfo) {
            return converter.getPrivateKey((PrivateKeyInfo) o);
        }
        if (o instanceof PEMKeyPair) {
            return converter.getPrivateKey(((PEMKeyPair) o).getPrivateKeyInfo());
        }
        if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
            throw new CredentialException(file, "holds an encrypted private key, which poolsa cannot use: there is no "
                    + "one to type a passphrase; store the key unencrypted (e.g. 'openssl pkey -in KEY -out "
                    + "KEY.plain') in a file only its owner can read");
        }
        if (o instanceof ASN1ObjectIdentifier || o instanceof X9ECParameters) {
            return null; // the EC PARAMETERS block OpenSSL writes in front of an EC PRIVATE KEY
        }
        if (o instanceof X509CertificateHolder) {
            return null; // a key file may carry its certificate too
        }
        throw new CredentialException(file, "holds a PEM block of type " + o.getClass().getSimpleName()
                + " where a private key was expected");
    }

    private static byte[] read(Path file) throws CredentialException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CredentialException(file, "cannot be read (" + e + ")");
        }
    }
}
