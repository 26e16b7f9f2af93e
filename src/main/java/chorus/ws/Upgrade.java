package chorus.ws;

import chorus.auth.Identity;
import chorus.auth.TokenRefused;
import chorus.auth.TokenVerifier;
import chorus.config.Config;
import chorus.hub.Claim;
import chorus.hub.Hub;
import chorus.hub.Person;
import chorus.webhooks.PublishHook;
import chorus.tasks.QuietLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
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
 * origin, a room the token does not name or a banned user, 401 a token missing where required or
 * not valid, 409 a name someone else shows, 400 bad query), or a new endpoint holding the socket's
 * reserved place and its name.
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
    private final TokenVerifier tokens; // null: no keys, every client anonymous
    private final boolean requireToken;
    private final Bans bannedUsers = new Bans();
    private final ScheduledExecutorService timer;
    private final Counter lookupsRefused;
    private final Admission admission;
    private final PublishHook publishHook; // null: none

    /** Past its address's budget of name lookups, what a /check or an upgrade refused for a taken name gets instead. */
    private static final String TOO_MANY_LOOKUPS = "too many name checks from your address; try again in a minute";

    public Upgrade(Hub hub, Config config, PublishHook publishHook, ScheduledExecutorService timer, QuietLog log, MeterRegistry registry) {
        this.publishHook = publishHook;
        this.hub = hub;
        this.trustProxy = config.trustProxy();
        this.origins = new OriginPolicy(config.allowedOrigins());
        this.refusals = new Refusals(registry, log);
        this.addresses = new Addresses(config.maxConnectionsPerAddress(), config.ratePerAddress(), config.newRoomsPerAddress(),
                config.lookupsPerAddress());
        this.lookupsRefused = Counter.builder("chorus.lookups.refused")
                .description("name lookups (/check, or an upgrade refused for a taken name) refused: too many from one address")
                .register(registry);
        this.sockets = new Sockets(config.maxConnections(), addresses, registry);
        this.outbound = new Outbound(config.sendQueueMessages(), config.sendQueueBytes(), config.sendQueueTotalBytes(),
                timer, registry);
        this.limits = new Limits(config);
        this.tokens = config.tokenKeys() == null ? null : new TokenVerifier(config.tokenKeys(), config.maxTokenBytes(), Clock.systemUTC());
        this.requireToken = config.requireToken();
        this.admission = new Admission(hub, tokens != null);
        this.timer = timer;
        timer.scheduleWithFixedDelay(() -> {
            addresses.sweep();
            bannedUsers.sweep();
        }, 1, 1, TimeUnit.SECONDS);
    }

    public Sockets sockets() {
        return sockets;
    }

    /** Refuses new sockets from this client address for a while (an operator's order). */
    public void ban(String address, long seconds) {
        String canonical = ClientAddress.canonical(address);
        addresses.ban(canonical != null ? canonical : address, seconds);
    }

    /** Refuses this user's tokens for a while (an operator's order). */
    public void banUser(String user, long seconds) {
        bannedUsers.ban(user, seconds);
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
                String address = ClientAddress.of(req.getHeaders().getValuesList("X-Forwarded-For"), Request.getRemoteAddr(req), trustProxy);
                if (address == null) throw new JoinRequest.BadRequest("X-Forwarded-For does not end with an IP address");
                Identity identity = identify(join);
                Sockets.Lease lease = sockets.reserve(address);
                String session = Connection.newSession();
                Claim claim;
                try {
                    admission.roomFor(join.room(), lease.limits);
                    // A verified user shows the name its token gives; the app decides who is who.
                    claim = hub.claim(join.room(), address, Person.of(identity == null ? null : identity.user(), join.person(), join.client(),
                            session), identity == null ? join.name() : identity.name());
                } catch (Sockets.Refused | Claim.Taken e) {
                    lease.end();
                    // A refusal for a taken name answers the same question as /check, from the same budget.
                    if (e instanceof Claim.Taken && !lookup(lease.limits)) throw new Sockets.Refused(429, TOO_MANY_LOOKUPS);
                    throw e;
                }
                resp.addExtensions(QuietClose.CONFIG);
                // The token is never echoed: only chorus.v1 is accepted.
                if (join.json()) resp.setAcceptedSubProtocol(JoinRequest.SUBPROTOCOL);
                // An upgrade that fails before the socket opens never reaches the endpoint's close.
                Request.addCompletionListener(req, failure -> {
                    if (failure == null) return;
                    lease.end();
                    hub.release(claim);
                });
                return new ChatEndpoint(hub, outbound, lease, join, session, claim, identity, timer, limits, admission, publishHook, refusals);
            } catch (JoinRequest.BadRequest e) {
                status = 400;
                reason = e.getMessage();
            } catch (Sockets.Refused e) {
                status = e.status;
                reason = e.getMessage();
            } catch (TokenRefused e) {
                status = e.status;
                reason = e.getMessage();
            } catch (Claim.Taken e) {
                status = 409;
                reason = e.getMessage();
            }
        }
        refusals.count("upgrade-" + status);
        Refusal.write(resp, callback, status, reason);
        return null;
    }

    /**
     * What an upgrade with this query and token would meet now (status 200: a welcome), for a
     * client that cannot read a refused upgrade's status: browsers hide it. Capacity, which
     * changes by the moment, is not foretold; a room's names are, except in private rooms.
     */
    public Verdict check(Map<String, List<String>> query, String token, String origin, String host, List<String> forwarded,
            String peer) {
        if (sockets.isDraining()) return new Verdict(503, "server restarting", false);
        if (!origins.allows(origin, host)) return new Verdict(403, "origin not allowed: " + origin, false);
        try {
            List<String> offered = token == null ? List.of(JoinRequest.SUBPROTOCOL)
                    : List.of(JoinRequest.SUBPROTOCOL, JoinRequest.TOKEN_PREFIX + token);
            JoinRequest join = JoinRequest.from(query, offered);
            String address = ClientAddress.of(forwarded, peer, trustProxy);
            if (address == null) return new Verdict(400, "X-Forwarded-For does not end with an IP address", false);
            if (addresses.banned(address)) return new Verdict(403, Sockets.BANNED_ADDRESS, true);
            Identity identity = identify(join);
            if (join.room().startsWith(Identity.PRIVATE_PREFIX) || join.name() == null && identity == null) {
                return new Verdict(200, "welcome", false);
            }
            if (!lookup(addresses.of(address))) return new Verdict(429, TOO_MANY_LOOKUPS, false);
            String user = identity == null ? null : identity.user();
            String name = identity == null ? join.name() : identity.name();
            if (hub.nameFree(join.room(), Person.of(user, join.person(), join.client(), null), name)) return new Verdict(200, "welcome", false);
            return new Verdict(409, Claim.takenReason(name), false);
        } catch (JoinRequest.BadRequest e) {
            return new Verdict(400, e.getMessage(), false);
        } catch (TokenRefused e) {
            return new Verdict(e.status, e.getMessage(), e.banned);
        }
    }

    /** Whether this address may learn whether a name is in a room now (it costs one of its lookups). */
    private boolean lookup(Addresses.Entry address) {
        if (address.lookups.take() == TokenBucket.Verdict.ACCEPT) return true;
        lookupsRefused.increment();
        return false;
    }

    /** An answer of {@link #check}: banned says an operator's ban is the reason. */
    public record Verdict(int status, String reason, boolean banned) {
    }

    /**
     * Who the client is, by its token: null for an anonymous client, where one may join. Without
     * keys every client is anonymous and no room is private.
     */
    private Identity identify(JoinRequest join) throws TokenRefused {
        if (join.token() == null) {
            if (tokens == null) return null;
            if (requireToken) throw new TokenRefused(401, "a token is required here");
            admission.mayEnter(null, join.room());
            return null;
        }
        if (tokens == null) throw new TokenRefused(401, "this server verifies no tokens (TOKEN_SECRET and TOKEN_PUBLIC_KEY are unset)");
        Identity identity = tokens.verify(join.token());
        if (bannedUsers.banned(identity.user())) throw TokenRefused.banned("this user is refused for a while by an operator");
        admission.mayEnter(identity, join.room());
        return identity;
    }

    public void stop() {
        outbound.stop();
    }

    private static Map<String, List<String>> query(Request req) {
        Fields fields = Request.extractQueryParameters(req);
        return fields.stream().collect(Collectors.toMap(Fields.Field::getName, Fields.Field::getValues));
    }
}
