package chorus.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys tokens may be signed with, each pinned to one algorithm by its type: a secret to
 * HS256, an RSA public key to RS256, a P-256 public key to ES256. A token naming another
 * algorithm for a key (HS256 "signed" with a public key, or none) finds no key. Each key's id is
 * its JWK thumbprint (RFC 7638), which a token may name in {@code kid} (docs/AUTH.md).
 */
public final class Keys {
    static final int MIN_SECRET_BYTES = 32;
    private static final Pattern PEM = Pattern.compile("-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", Pattern.DOTALL);

    record Key(JWK jwk, JWSAlgorithm algorithm) {
    }

    private final List<Key> keys;

    private Keys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    List<Key> all() {
        return keys;
    }

    /**
     * The keys in TOKEN_SECRET (secrets separated by white space, so an old and a new one can be
     * accepted side by side while an app rotates) and TOKEN_PUBLIC_KEY (PEM blocks); null when
     * neither is set. Throws IllegalArgumentException naming what is wrong, never a secret.
     */
    public static Keys parse(String secrets, String publicKeys) {
        List<Key> keys = new ArrayList<>();
        try {
            if (secrets != null) {
                for (String secret : secrets.strip().split("\\s+")) {
                    if (secret.isEmpty()) continue;
                    byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
                    if (bytes.length < MIN_SECRET_BYTES) {
                        throw new IllegalArgumentException("TOKEN_SECRET: each secret must be at least " + MIN_SECRET_BYTES
                                + " bytes (for example: openssl rand -hex 32)");
                    }
                    keys.add(new Key(new OctetSequenceKey.Builder(bytes).keyIDFromThumbprint().build(), JWSAlgorithm.HS256));
                }
            }
            if (publicKeys != null && !publicKeys.isBlank()) {
                Matcher pem = PEM.matcher(publicKeys);
                int found = 0;
                while (pem.find()) {
                    keys.add(publicKey(pem.group(1).replaceAll("\\s", "")));
                    found++;
                }
                if (found == 0) throw new IllegalArgumentException("TOKEN_PUBLIC_KEY must hold one or more PEM blocks "
                        + "(-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)");
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("token keys: " + e.getMessage());
        }
        return keys.isEmpty() ? null : new Keys(keys);
    }

    private static Key publicKey(String base64) throws JOSEException {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TOKEN_PUBLIC_KEY: a PEM block is not base64");
        }
        PublicKey key = decode("RSA", der);
        if (key == null) key = decode("EC", der);
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) throw new IllegalArgumentException("TOKEN_PUBLIC_KEY: RSA keys must be 2048 bits or more");
            return new Key(new RSAKey.Builder(rsa).keyIDFromThumbprint().build(), JWSAlgorithm.RS256);
        }
        if (key instanceof ECPublicKey ec && Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
            return new Key(new ECKey.Builder(Curve.P_256, ec).keyIDFromThumbprint().build(), JWSAlgorithm.ES256);
        }
        throw new IllegalArgumentException("TOKEN_PUBLIC_KEY: a key must be RSA (for RS256) or EC P-256 (for ES256)");
    }

    private static PublicKey decode(String type, byte[] der) {
        try {
            return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }
}
