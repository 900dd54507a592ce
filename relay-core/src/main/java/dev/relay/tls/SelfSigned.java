package dev.relay.tls;

import dev.relay.net.IpLiteral;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A fresh EC P-256 key and a self-signed X.509 v3 server certificate for it, encoded by hand in DER. */
public final class SelfSigned {
    /** How far notBefore is backdated, so a peer whose clock runs a little behind still accepts the certificate. */
    static final Duration BACKDATE = Duration.ofHours(1);

    private static final String OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    private static final String OID_COMMON_NAME = "2.5.4.3";
    private static final String OID_KEY_USAGE = "2.5.29.15";
    private static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String OID_EXT_KEY_USAGE = "2.5.29.37";
    private static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final int GENERAL_NAME_DNS = 2;
    private static final int GENERAL_NAME_IP = 7;
    private static final int SERIAL_BYTES = 16;
    private static final int PEM_COLUMNS = 64;

    private final X509Certificate certificate;
    private final PrivateKey key;

    private SelfSigned(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new EC P-256 key and a self-signed certificate naming {@code names} (DNS names or IP literals; at least one), valid for {@code validity}. */
    public static SelfSigned generate(List<String> names, Duration validity) throws GeneralSecurityException {
        List<String> checked = checkNames(names);
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, not " + validity);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();

        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        byte[] tbs = tbsCertificate(checked, serial(), now.minus(BACKDATE), now.plus(validity), pair.getPublic());
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate());
        signer.update(tbs);
        // SHA256withECDSA already returns the DER SEQUENCE { r, s } that X.509 expects.
        byte[] der = Der.sequence(tbs, signatureAlgorithm(), Der.bitString(signer.sign()));

        // Parsing our own encoding back is the check that it is well formed: a mistake fails here, loudly.
        X509Certificate certificate = (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        certificate.verify(pair.getPublic());
        return new SelfSigned(certificate, pair.getPrivate());
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** The certificate as PEM ("-----BEGIN CERTIFICATE-----", base64 wrapped at 64 columns). */
    public String certificatePem() {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot re-encode a certificate we just parsed", e);
        }
    }

    /** The key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
    public String keyPem() {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static List<String> checkNames(List<String> names) {
        Objects.requireNonNull(names, "names");
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a certificate needs at least one name");
        }
        for (String name : names) {
            Objects.requireNonNull(name, "name");
            boolean dnsChars = !name.isEmpty()
                    && name.chars()
                            .allMatch(c -> c >= 'a' && c <= 'z'
                                    || c >= 'A' && c <= 'Z'
                                    || c >= '0' && c <= '9'
                                    || c == '-'
                                    || c == '.'
                                    || c == '_'
                                    || c == '*');
            if (!dnsChars && IpLiteral.literal(name).isEmpty()) {
                throw new IllegalArgumentException("\"" + name + "\" is neither a DNS name nor an IP literal");
            }
        }
        return List.copyOf(names);
    }

    /** Positive and a full 16 bytes: the top bit is cleared (a set one would read as negative) and the next set. */
    private static BigInteger serial() {
        byte[] bytes = new byte[SERIAL_BYTES];
        new SecureRandom().nextBytes(bytes);
        bytes[0] = (byte) (bytes[0] & 0x7f | 0x40);
        return new BigInteger(1, bytes);
    }

    private static byte[] tbsCertificate(
            List<String> names, BigInteger serial, Instant notBefore, Instant notAfter, PublicKey publicKey) {
        byte[] name = Der.sequence(Der.setOf(Der.sequence(Der.oid(OID_COMMON_NAME), Der.utf8String(names.get(0)))));
        return Der.sequence(
                Der.explicit(0, Der.integer(2)), // v3 is encoded as 2
                Der.integer(serial),
                signatureAlgorithm(),
                name,
                Der.sequence(Der.time(notBefore), Der.time(notAfter)),
                name,
                publicKey.getEncoded(), // already a SubjectPublicKeyInfo
                Der.explicit(
                        3,
                        Der.sequence(
                                extension(OID_SUBJECT_ALT_NAME, false, subjectAltNames(names)),
                                // cA defaults to FALSE, and DER omits a default: an empty SEQUENCE.
                                extension(OID_BASIC_CONSTRAINTS, true, Der.sequence()),
                                // digitalSignature is bit 0: one byte 0x80 whose 7 trailing bits are unused.
                                extension(OID_KEY_USAGE, true, Der.bitString(new byte[] {(byte) 0x80}, 7)),
                                extension(OID_EXT_KEY_USAGE, false, Der.sequence(Der.oid(OID_SERVER_AUTH))))));
    }

    /** No parameters, not even NULL: RFC 5758 3.2 says the field is absent for ECDSA. */
    private static byte[] signatureAlgorithm() {
        return Der.sequence(Der.oid(OID_ECDSA_WITH_SHA256));
    }

    /** The critical flag is written only when true, since DER omits a field equal to its DEFAULT FALSE. */
    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical
                ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    private static byte[] subjectAltNames(List<String> names) {
        byte[][] generalNames = new byte[names.size()][];
        for (int i = 0; i < names.size(); i++) {
            Optional<InetAddress> ip = IpLiteral.literal(names.get(i));
            generalNames[i] = ip.isPresent()
                    ? Der.implicitPrimitive(GENERAL_NAME_IP, ip.get().getAddress())
                    : Der.implicitPrimitive(GENERAL_NAME_DNS, names.get(i).getBytes(StandardCharsets.US_ASCII));
        }
        return Der.sequence(generalNames);
    }

    private static String pem(String type, byte[] der) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("-----BEGIN " + type + "-----\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Base64.getMimeEncoder(PEM_COLUMNS, new byte[] {'\n'}).encode(der));
        out.writeBytes(("\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII));
        return out.toString(StandardCharsets.US_ASCII);
    }
}
