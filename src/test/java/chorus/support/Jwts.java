package chorus.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Tokens as an app's backend would sign them, and as an attacker would forge them. */
public final class Jwts {
    public static final String SECRET = "test-secret-0123456789abcdef-0123456789abcdef";
    public static final RSAKey RSA = generate(() -> new RSAKeyGenerator(2048).generate());
    public static final ECKey EC = generate(() -> new ECKeyGenerator(Curve.P_256).generate());

    private interface Generator<T> {
        T get() throws JOSEException;
    }

    private static <T> T generate(Generator<T> generator) {
        try {
            return generator.get();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private Jwts() {
    }

    /** TOKEN_PUBLIC_KEY's value: both public keys as PEM blocks. */
    public static String publicKeys() {
        try {
            return pem(RSA.toPublicKey().getEncoded()) + pem(EC.toPublicKey().getEncoded());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(byte[] der) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** Claims for a user: sub, exp in a minute, iat now; more may be added. */
    public static JWTClaimsSet.Builder user(String sub) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject(sub).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)));
    }

    public static JWTClaimsSet.Builder user(String sub, String name, List<String> rooms) {
        JWTClaimsSet.Builder claims = user(sub).claim("name", name);
        return rooms == null ? claims : claims.claim("rooms", rooms);
    }

    public static String hs256(JWTClaimsSet.Builder claims) {
        return sign(new JWSHeader(JWSAlgorithm.HS256), claims, secretSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    }

    public static String rs256(JWTClaimsSet.Builder claims) {
        return sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(RSA.getKeyID()).build(), claims,
                generate(() -> new RSASSASigner(RSA)));
    }

    public static String es256(JWTClaimsSet.Builder claims) {
        return sign(new JWSHeader(JWSAlgorithm.ES256), claims, generate(() -> new ECDSASigner(EC)));
    }

    public static String sign(JWSHeader header, JWTClaimsSet.Builder claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    public static JWSSigner secretSigner(byte[] secret) {
        return generate(() -> new MACSigner(secret));
    }

    /** The token's header and payload in base64url, as "alg: none" would send them, with no signature. */
    public static String unsigned(JWTClaimsSet.Builder claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.build().toString().getBytes(StandardCharsets.UTF_8)) + ".";
    }

    /** The same token with its payload swapped for other claims, signature kept. */
    public static String tampered(String token, JWTClaimsSet.Builder claims) {
        String[] parts = token.split("\\.");
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                claims.build().toString().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    /** The subprotocol header a client sends with a token. */
    public static String offer(String token) {
        return "Sec-WebSocket-Protocol: chorus.v1, chorus.token." + token + "\r\n";
    }
}
