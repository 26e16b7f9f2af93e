package chorus.ws;

import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** An HTTP refusal at /ws: the status and its reason as a line of plain text (not Jetty's HTML error page). */
final class Refusal {
    private Refusal() {
    }

    static void write(Response resp, Callback callback, int status, String reason) {
        resp.setStatus(status);
        resp.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        resp.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        resp.write(true, StandardCharsets.UTF_8.encode(reason + "\n"), callback);
    }
}
