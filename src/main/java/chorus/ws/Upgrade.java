package chorus.ws;

import chorus.config.Config;
import chorus.hub.Hub;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * (503 restarting or full, 429 too many sockets or new rooms from one address, 403 foreign
 * origin, 400 bad query),
 * or a new endpoint holding the socket's reserved place.
 */
public final class Upgrade implements WebSocketNegotiator {
    private final Hub hub;
    private final boolean trustProxy;
    private final OriginPolicy origins;
    private final Refusals refusals;
    private final Addresses addresses;
    private final Sockets sockets;
    private final Outbound outbound;
    private final Limits limits;

    public Upgrade(Hub hub, Config config, ScheduledExecutorService timer, MeterRegistry registry) {
        this.hub = hub;
        this.trustProxy = config.trustProxy();
        this.origins = new OriginPolicy(config.allowedOrigins());
        this.refusals = new Refusals(registry);
        this.addresses = new Addresses(config.maxConnectionsPerAddress(), config.ratePerAddress(), config.newRoomsPerAddress());
        this.sockets = new Sockets(config.maxConnections(), addresses, registry);
        this.outbound = new Outbound(config.sendQueueMessages(), config.sendQueueBytes(), config.sendQueueTotalBytes(),
                sockets::size, registry);
        this.limits = new Limits(config);
        timer.scheduleWithFixedDelay(addresses::sweep, 1, 1, TimeUnit.SECONDS);
    }

    public Sockets sockets() {
        return sockets;
    }

    /** Refuses new sockets from this client address for a while (an operator's order). */
    public void ban(String address, long seconds) {
        String canonical = ClientAddress.canonical(address);
        addresses.ban(canonical != null ? canonical : address, seconds);
    }

    @Override
    public FrameHandler negotiate(ServerUpgradeRequest req, ServerUpgradeResponse resp, Callback callback) {
        int status;
        String reason;
        String origin = req.getHeaders().get("Origin");
        if (sockets.isDraining()) {
            status = 503;
            reason = "server restarting";
        } else if (!origins.allows(origin, req.getHeaders().get("Host"))) {
            status = 403;
            reason = "origin not allowed: " + origin;
        } else {
            try {
                JoinRequest join = JoinRequest.from(query(req), req.getSubProtocols());
                String address = clientAddress(req);
                if (address == null) throw new JoinRequest.BadRequest("X-Forwarded-For does not end with an IP address");
                Sockets.Lease lease = sockets.reserve(address);
                try {
                    roomFor(join.room(), lease);
                } catch (Sockets.Refused e) {
                    lease.end();
                    throw e;
                }
                if (join.json()) resp.setAcceptedSubProtocol(JoinRequest.SUBPROTOCOL);
                // An upgrade that fails before the socket opens never reaches the endpoint's close.
                Request.addCompletionListener(req, failure -> {
                    if (failure != null) lease.end();
                });
                return new ChatEndpoint(hub, outbound, lease, join, limits, refusals);
            } catch (JoinRequest.BadRequest e) {
                status = 400;
                reason = e.getMessage();
            } catch (Sockets.Refused e) {
                status = e.status;
                reason = e.getMessage();
            }
        }
        refusals.count("upgrade-" + status);
        Refusal.write(resp, callback, status, reason);
        return null;
    }

    /**
     * A room that is not here yet is made only within MAX_ROOMS (the longest-empty room kept for
     * its history gives way first) and within its address's budget of new rooms.
     */
    private void roomFor(String room, Sockets.Lease lease) throws Sockets.Refused {
        if (hub.has(room)) return;
        if (!hub.spaceFor(room)) throw new Sockets.Refused(503, "too many rooms");
        if (lease.limits.newRooms.take() != TokenBucket.Verdict.ACCEPT) {
            throw new Sockets.Refused(429, "too many new rooms from your address");
        }
    }

    /**
     * Who is connecting, in canonical form ({@link ClientAddress}): the peer, or behind a trusted
     * proxy (Heroku's router) the last X-Forwarded-For entry, the one the proxy appended; earlier
     * entries are the client's to forge. Null when that entry is not an address.
     */
    private String clientAddress(Request req) {
        if (trustProxy) {
            List<String> forwarded = req.getHeaders().getValuesList("X-Forwarded-For");
            if (!forwarded.isEmpty()) {
                String last = forwarded.get(forwarded.size() - 1);
                return ClientAddress.canonical(last.substring(last.lastIndexOf(',') + 1));
            }
        }
        String peer = Request.getRemoteAddr(req);
        String canonical = ClientAddress.canonical(peer);
        return canonical != null ? canonical : peer;
    }

    public void stop() {
        outbound.stop();
    }

    private static Map<String, List<String>> query(Request req) {
        Fields fields = Request.extractQueryParameters(req);
        return fields.stream().collect(Collectors.toMap(Fields.Field::getName, Fields.Field::getValues));
    }
}
