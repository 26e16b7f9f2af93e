package chorus.web;

import chorus.hub.Hub;
import chorus.ws.Sockets;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GET /health: 200 {"status":"ok",...} while serving; 503 "degraded" while the backend (Redis)
 * cannot take messages, and 503 "draining" once shutdown has begun.
 */
public final class Health {
    private final Hub hub;
    private final Sockets sockets;
    private final long startedMillis = System.currentTimeMillis();

    public Health(Hub hub, Sockets sockets) {
        this.hub = hub;
        this.sockets = sockets;
    }

    public void handle(Context ctx) {
        String problem = hub.backendProblem();
        String status = sockets.isDraining() ? "draining" : problem == null ? "ok" : "degraded";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        if (status.equals("degraded")) body.put("reason", problem);
        body.put("connections", sockets.size()); // sockets, however many rooms each is in
        body.put("uptimeSeconds", (System.currentTimeMillis() - startedMillis) / 1000);
        ctx.status(status.equals("ok") ? 200 : 503).json(body);
    }
}
