package chorus.ws;

import chorus.config.Config;
import chorus.hub.Hub;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;

/**
 * Decides each upgrade request to /ws before any socket exists: an HTTP error with its reason
 * (503 restarting or full, 403 foreign origin, 400 bad query), or a new endpoint.
 */
public final class Upgrade implements WebSocketNegotiator {
    private final Hub hub;
    private final Config config;
    private final OriginPolicy origins;
    private final Refusals refusals;
    private final Sockets sockets;
    private final Outbound outbound;

    public Upgrade(Hub hub, Config config, MeterRegistry registry) {
        this.hub = hub;
        this.config = config;
        this.origins = new OriginPolicy(config.allowedOrigins());
        this.refusals = new Refusals(registry);
        this.sockets = new Sockets(config.maxConnections(), registry);
        this.outbound = new Outbound(config.sendQueueMessages(), config.sendQueueBytes());
    }

    public Sockets sockets() {
        return sockets;
    }

    @Override
    public FrameHandler negotiate(ServerUpgradeRequest req, ServerUpgradeResponse resp, Callback callback) {
        int status;
        String reason;
        String origin = req.getHeaders().get("Origin");
        Sockets.Lease lease = null;
        if (sockets.isDraining()) {
            status = 503;
            reason = "server restarting";
        } else if (!origins.allows(origin, req.getHeaders().get("Host"))) {
            status = 403;
            reason = "origin not allowed: " + origin;
        } else if ((lease = sockets.reserve()) == null) {
            status = 503;
            reason = "too many connections";
        } else {
            try {
                JoinRequest join = JoinRequest.from(query(req), req.getSubProtocols());
                if (join.json()) resp.setAcceptedSubProtocol(JoinRequest.SUBPROTOCOL);
                Sockets.Lease place = lease;
                // An upgrade that fails before the socket opens never reaches the endpoint's close.
                Request.addCompletionListener(req, failure -> {
                    if (failure != null) place.end();
                });
                return new ChatEndpoint(hub, outbound, place, join,
                        new TokenBucket(config.ratePerSecond(), config.rateBurst()), config.maxMessageBytes(), refusals);
            } catch (JoinRequest.BadRequest e) {
                lease.end();
                status = 400;
                reason = e.getMessage();
            }
        }
        Response.writeError(req, resp, callback, status, reason);
        return null;
    }

    public void stop() {
        outbound.stop();
    }

    private static Map<String, List<String>> query(Request req) {
        Fields fields = Request.extractQueryParameters(req);
        return fields.stream().collect(Collectors.toMap(Fields.Field::getName, Fields.Field::getValues));
    }
}
