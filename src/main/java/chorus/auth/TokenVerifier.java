package chorus.auth;

import chorus.protocol.Names;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a token an app's backend signed for one of its users and says who the user is, or why
 * the token is refused (always 401: the client must get a new token). Each step is its own
 * refusal, so an app's developer reads what to fix: size, form, algorithm, key, signature, time,
 * then each claim.
 */
public final class TokenVerifier {
    /** Clocks of the app's backend and of this dyno may differ by this much. */
    static final long LEEWAY_SECONDS = 5;
    static final int MAX_USER_LENGTH = 128;
    static final int MAX_ROOMS = 100;
    private static final Pattern USER = Pattern.compile("[\\x21-\\x7e]{1," + MAX_USER_LENGTH + "}");
    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
    /** The furthest ahead a token's exp may be: a token is a pass for a session, not a password. */
    static final long MAX_LIFETIME_SECONDS = 24 * 3600;
    private static final Pattern ROOM_GRANT = Pattern.compile("[A-Za-z0-9._-]{1,64}|[A-Za-z0-9._-]{0,63}\\*");

    private final Keys keys;
    private final int maxBytes;
    private final Clock clock;

    public TokenVerifier(Keys keys, int maxBytes, Clock clock) {
        this.keys = keys;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public Identity verify(String token) throws TokenRefused {
        if (token.length() > maxBytes) throw refused("token larger than " + maxBytes + " bytes");
        // Nimbus's decoder forgives padding, spaces and the other alphabet: one token, one spelling.
        if (!COMPACT.matcher(token).matches()) throw refused("token is not a JWT: header.payload.signature in base64url without padding");
        SignedJWT jwt = signed(token);
        JWSHeader header = jwt.getHeader();
        List<Keys.Key> candidates = new ArrayList<>();
        boolean algorithmKnown = false;
        for (Keys.Key key : keys.all()) {
            if (!key.algorithm().equals(header.getAlgorithm())) continue;
            algorithmKnown = true;
            if (header.getKeyID() == null || header.getKeyID().equals(key.jwk().getKeyID())) candidates.add(key);
        }
        if (!algorithmKnown) throw refused("token algorithm " + header.getAlgorithm() + " is not one this server's keys take");
        if (candidates.isEmpty()) throw refused("token names an unknown key id (kid)");
        if (!signedByOneOf(jwt, candidates)) throw refused("token signature does not verify");
        return identity(claims(jwt));
    }

    private static SignedJWT signed(String token) throws TokenRefused {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw refused("token is not a JWT");
        }
        if (!(jwt instanceof SignedJWT signed)) throw refused("token is not signed (alg none, or encrypted)");
        return signed;
    }

    private static boolean signedByOneOf(SignedJWT jwt, List<Keys.Key> candidates) {
        for (Keys.Key key : candidates) {
            try {
                if (jwt.verify(verifier(key))) return true;
            } catch (JOSEException e) {
                // a key that cannot check this token (wrong size or curve): the next one may
            }
        }
        return false;
    }

    private static JWSVerifier verifier(Keys.Key key) throws JOSEException {
        if (key.jwk() instanceof OctetSequenceKey secret) return new MACVerifier(secret);
        if (key.jwk() instanceof RSAKey rsa) return new RSASSAVerifier(rsa);
        return new ECDSAVerifier((ECKey) key.jwk());
    }

    private static JWTClaimsSet claims(SignedJWT jwt) throws TokenRefused {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw refused("token claims are malformed: " + e.getMessage());
        }
    }

    private Identity identity(JWTClaimsSet claims) throws TokenRefused {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) throw refused("token has no exp (expiry) claim");
        if (now.isAfter(exp.toInstant().plusSeconds(LEEWAY_SECONDS))) throw refused("token expired");
        if (exp.toInstant().isAfter(now.plusSeconds(MAX_LIFETIME_SECONDS + LEEWAY_SECONDS))) {
            throw refused("token exp is more than 24 hours ahead: mint tokens for a session and renew them (getToken)");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plusSeconds(LEEWAY_SECONDS).isBefore(nbf.toInstant())) throw refused("token not valid yet (nbf)");
        Date iat = claims.getIssueTime();
        if (iat != null && now.plusSeconds(LEEWAY_SECONDS).isBefore(iat.toInstant())) throw refused("token issued in the future (iat)");
        String user = claims.getSubject();
        if (user == null || !USER.matcher(user).matches()) {
            throw refused("token sub must be the user's id: 1-" + MAX_USER_LENGTH + " visible ASCII characters");
        }
        String name;
        List<String> rooms;
        try {
            name = claims.getStringClaim("name");
            rooms = claims.getClaim("rooms") == null ? null : claims.getStringListClaim("rooms");
        } catch (ParseException e) {
            throw refused("token claims are malformed: " + e.getMessage());
        }
        if (name == null) name = user;
        String problem = Names.chosenProblem(name);
        if (problem != null) throw refused("token name: " + problem);
        if (rooms != null && (rooms.size() > MAX_ROOMS || !rooms.stream().allMatch(r -> r != null && ROOM_GRANT.matcher(r).matches()))) {
            throw refused("token rooms must be at most " + MAX_ROOMS + " room names, or prefixes ending in '*'");
        }
        return new Identity(user, Names.normalize(name), rooms, exp.toInstant());
    }

    private static TokenRefused refused(String reason) {
        return new TokenRefused(401, reason);
    }
}
