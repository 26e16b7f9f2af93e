package chorus.web;

import chorus.hub.Hub;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** GET /health: 200 with {"status":"ok",...} while serving, 503 "draining" during shutdown. */
public final class Health {
    private final Hub hub;
    private final long startedMillis = System.currentTimeMillis();

    public Health(Hub hub) {
        this.hub = hub;
    }

    public void handle(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", hub.isDraining() ? "draining" : "ok");
        body.put("connections", hub.size());
        body.put("uptimeSeconds", (System.currentTimeMillis() - startedMillis) / 1000);
        ctx.status(hub.isDraining() ? 503 : 200).json(body);
    }
}
