package chorus.ws;

import java.util.Base64;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;

/**
 * Jetty's upgrade handler, with RFC 6455's answers to a bad handshake on /ws first: 400 for a
 * request that is not an upgrade or whose Sec-WebSocket-Key is not 16 bytes of base64, and 426
 * with {@code Sec-WebSocket-Version: 13} for another version. Jetty alone passes such requests
 * on, to a 404, or upgrades them.
 */
public final class CheckedUpgradeHandler extends WebSocketUpgradeHandler {
    private final String path;

    public CheckedUpgradeHandler(WebSocketComponents components, String path) {
        super(components);
        this.path = path;
    }

    @Override
    public boolean handle(Request req, Response resp, Callback callback) throws Exception {
        if (path.equals(Request.getPathInContext(req))) {
            String problem = problem(req);
            if (problem != null) {
                int status = problem.startsWith("426") ? 426 : 400;
                if (status == 426) resp.getHeaders().put(HttpHeader.SEC_WEBSOCKET_VERSION, "13");
                Refusal.write(resp, callback, status, problem.substring(4));
                return true;
            }
        }
        return super.handle(req, resp, callback);
    }

    private static String problem(Request req) {
        String upgrade = req.getHeaders().get(HttpHeader.UPGRADE);
        String connection = req.getHeaders().get(HttpHeader.CONNECTION);
        if (!"GET".equals(req.getMethod()) || upgrade == null || !upgrade.equalsIgnoreCase("websocket")
                || connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
            return "400 expected a WebSocket upgrade (GET with Upgrade: websocket and Connection: Upgrade)";
        }
        if (!"13".equals(req.getHeaders().get(HttpHeader.SEC_WEBSOCKET_VERSION))) {
            return "426 unsupported WebSocket version; this server speaks 13";
        }
        String key = req.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY);
        if (key == null || !isNonce(key.strip())) return "400 Sec-WebSocket-Key must be 16 bytes in base64";
        return null;
    }

    private static boolean isNonce(String key) {
        if (key.length() != 24) return false;
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
