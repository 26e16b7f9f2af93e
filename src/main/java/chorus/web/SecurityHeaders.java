package chorus.web;

import io.javalin.http.Context;
import java.util.regex.Pattern;

/**
 * Headers that keep the page from being framed, sniffed or made to run foreign code: only our
 * own scripts and styles, and sockets only to our own host.
 */
public final class SecurityHeaders {
    // A Host header outside this shape is never copied into the policy.
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?");
    private static final String BASE = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; connect-src 'self'";

    private SecurityHeaders() {
    }

    public static void apply(Context ctx) {
        String host = ctx.header("Host");
        // 'self' covers ws(s) in current browsers; the explicit entries cover older ones.
        String connect = host != null && HOST.matcher(host).matches() ? " ws://" + host + " wss://" + host : "";
        ctx.header("Content-Security-Policy", BASE + connect);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
    }
}
