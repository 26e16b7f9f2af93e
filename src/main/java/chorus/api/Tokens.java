package chorus.api;

import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Bearer-token checks for the API and /metrics: 401 without a token, 403 with a wrong one, each
 * attempt counted by outcome. Tokens compare in constant time, so timing tells nothing.
 */
public final class Tokens {
    private final byte[] token;
    private final Counter ok, missing, wrong;

    public Tokens(String token, String scope, MeterRegistry registry) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.ok = counter(registry, scope, "ok");
        this.missing = counter(registry, scope, "missing");
        this.wrong = counter(registry, scope, "wrong");
    }

    private static Counter counter(MeterRegistry registry, String scope, String outcome) {
        return Counter.builder("chorus.auth.attempts").tag("scope", scope).tag("outcome", outcome)
                .description("requests that needed a token, by outcome").register(registry);
    }

    public void check(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            missing.increment();
            ctx.header("WWW-Authenticate", "Bearer");
            throw new HttpResponseException(401, "missing Authorization: Bearer <token>", Map.of());
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            wrong.increment();
            throw new HttpResponseException(403, "wrong token", Map.of());
        }
        ok.increment();
    }
}
