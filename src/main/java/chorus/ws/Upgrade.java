package chorus.ws;

import chorus.config.Config;
import chorus.hub.Hub;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeRequest;
import org.eclipse.jetty.ee10.websocket.server.JettyServerUpgradeResponse;
import org.eclipse.jetty.ee10.websocket.server.JettyWebSocketCreator;

/**
 * Decides each upgrade request to /ws before any socket exists: an HTTP error with its reason
 * (503 restarting or full, 403 foreign origin, 400 bad query), or a new endpoint.
 */
public final class Upgrade implements JettyWebSocketCreator {
    private final Hub hub;
    private final Config config;
    private final OriginPolicy origins;
    private final Refusals refusals;

    public Upgrade(Hub hub, Config config, MeterRegistry registry) {
        this.hub = hub;
        this.refusals = new Refusals(registry);
        this.config = config;
        this.origins = new OriginPolicy(config.allowedOrigins());
    }

    @Override
    public Object createWebSocket(JettyServerUpgradeRequest req, JettyServerUpgradeResponse resp) {
        int status;
        String reason;
        if (hub.isDraining()) {
            status = 503;
            reason = "server restarting";
        } else if (!origins.allows(req.getHeader("Origin"), req.getHeader("Host"))) {
            status = 403;
            reason = "origin not allowed: " + req.getHeader("Origin");
        } else if (hub.size() >= config.maxConnections()) {
            status = 503;
            reason = "too many connections";
        } else {
            try {
                JoinRequest join = JoinRequest.from(req.getParameterMap(), req.getSubProtocols());
                if (join.json()) resp.setAcceptedSubProtocol(JoinRequest.SUBPROTOCOL);
                return new ChatEndpoint(hub, join, new TokenBucket(config.ratePerSecond(), config.rateBurst()),
                        config.maxMessageBytes(), refusals);
            } catch (JoinRequest.BadRequest e) {
                status = 400;
                reason = e.getMessage();
            }
        }
        try {
            resp.sendError(status, reason);
        } catch (IOException e) {
            // the client went away while we answered; nothing to clean up
        }
        return null;
    }
}
