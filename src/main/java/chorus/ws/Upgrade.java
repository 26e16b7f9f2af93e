package chorus.ws;

import chorus.config.Config;
import chorus.hub.Hub;
import java.io.IOException;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeRequest;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeResponse;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketCreator;

/**
 * Decides each upgrade request to /ws before any socket exists: an HTTP error with a reason,
 * or a new endpoint.
 */
public final class Upgrade implements JettyWebSocketCreator {
    private final Hub hub;
    private final Config config;
    private final OriginPolicy origins;

    public Upgrade(Hub hub, Config config) {
        this.hub = hub;
        this.config = config;
        this.origins = new OriginPolicy(config.allowedOrigins());
    }

    @Override
    public Object createWebSocket(JettyServerUpgradeRequest req, JettyServerUpgradeResponse resp) {
        try {
            if (hub.isDraining()) {
                resp.sendError(503, "server restarting");
            } else if (!origins.allows(req.getHeader("Origin"), req.getHeader("Host"))) {
                resp.sendForbidden("origin not allowed: " + req.getHeader("Origin"));
            } else if (hub.size() >= config.maxConnections()) {
                resp.sendError(503, "too many connections");
            } else {
                return new ChatEndpoint(hub, new TokenBucket(config.ratePerSecond(), config.rateBurst()));
            }
        } catch (IOException e) {
            // the client went away while we answered; nothing to clean up
        }
        return null;
    }
}
