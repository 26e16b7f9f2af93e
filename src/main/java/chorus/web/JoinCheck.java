package chorus.web;

import chorus.ws.Upgrade;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * POST /check?room=R&name=N&client=C, the body a token or nothing: what an upgrade with that
 * query would meet now, as {"status":409,"reason":"…","banned":false} with that HTTP status (200:
 * it would be welcome). A browser cannot read a refused upgrade's status, so the client library
 * asks here when a socket failed to open. The token travels in the body, never in the URL.
 */
public final class JoinCheck {
    private static final JsonFactory JSON = new JsonFactory();
    private final Upgrade upgrade;
    private final int maxTokenBytes;

    public JoinCheck(Upgrade upgrade, int maxTokenBytes) {
        this.upgrade = upgrade;
        this.maxTokenBytes = maxTokenBytes;
    }

    public void handle(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        String origin = ctx.header("Origin");
        Upgrade.Verdict verdict;
        if (ctx.req().getContentLengthLong() > maxTokenBytes) {
            verdict = new Upgrade.Verdict(413, "a token is at most " + maxTokenBytes + " bytes", false);
        } else {
            String token = ctx.body().strip();
            verdict = upgrade.check(ctx.queryParamMap(), token.isEmpty() ? null : token, origin, ctx.header("Host"),
                    java.util.Collections.list(ctx.req().getHeaders("X-Forwarded-For")), ctx.req().getRemoteAddr());
            // Readable from any page: one of an origin not allowed learns only that (checked first),
            // and a library embedded there can say why instead of reconnecting for ever.
            if (origin != null) ctx.header("Access-Control-Allow-Origin", origin).header("Vary", "Origin");
        }
        ctx.status(verdict.status()).contentType("application/json").result(json(verdict));
    }

    private static String json(Upgrade.Verdict verdict) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("status", verdict.status());
            g.writeStringField("reason", verdict.reason());
            g.writeBooleanField("banned", verdict.banned());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
