package chorus.api;

import chorus.hub.Backend;
import chorus.hub.Hub;
import chorus.hub.Member;
import chorus.hub.Message;
import chorus.hub.Order;
import chorus.hub.Draft;
import chorus.hub.Published;
import chorus.hub.Room;
import chorus.protocol.Command;
import chorus.protocol.MessageId;
import chorus.protocol.Names;
import chorus.protocol.Refs;
import chorus.webhooks.Event;
import chorus.webhooks.Events;
import chorus.webhooks.Webhooks;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API under /api, for operators and backends (docs/API.md): publish into a room as a
 * socket would, list rooms and history, close a room, disconnect a session. Orders go to every
 * instance through the backend. Every route needs the API token.
 */
public final class Api {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_SECONDS = 5; // how long a request waits on the backend
    static final int MAX_LIMIT = 1000;
    private static final java.util.regex.Pattern WHOLE_NUMBER = java.util.regex.Pattern.compile("0|[1-9][0-9]{0,17}");

    private final Hub hub;
    private final Backend backend;
    private final Tokens tokens;
    private final int maxTextBytes;
    private final Webhooks webhooks; // null: no WEBHOOK_URL
    private final Events events;

    public Api(Hub hub, Backend backend, Webhooks webhooks, Events events, String token, int maxTextBytes, MeterRegistry registry) {
        this.webhooks = webhooks;
        this.events = events;
        this.hub = hub;
        this.backend = backend;
        this.tokens = new Tokens(token, "api", registry);
        this.maxTextBytes = maxTextBytes;
    }

    /** The routes, in one place. */
    public void routes(JavalinConfig c) {
        c.routes.before("/api/*", tokens::check);
        c.routes.post("/api/rooms/{room}/messages", this::publish);
        c.routes.get("/api/rooms", this::rooms);
        c.routes.get("/api/rooms/{room}", this::summary);
        c.routes.get("/api/rooms/{room}/messages", this::messages);
        c.routes.delete("/api/rooms/{room}", this::closeRoom);
        c.routes.delete("/api/sessions/{session}", this::disconnect);
        c.routes.delete("/api/users/{user}", this::disconnectUser);
        c.routes.get("/api/webhooks", this::webhooks);
        c.routes.exception(HttpResponseException.class, (e, ctx) -> {
            if (ctx.path().startsWith("/api/")) ctx.status(e.getStatus()).json(error(e.getMessage(), e.getDetails().get("field")));
            else ctx.status(e.getStatus()).result(e.getMessage());
        });
    }

    private static Map<String, Object> error(String message, String field) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        if (field != null) body.put("field", field);
        return body;
    }

    private static HttpResponseException bad(String field, String message) {
        return new HttpResponseException(400, message, Map.of("field", field));
    }

    private static String roomParam(Context ctx) {
        String room = ctx.pathParam("room");
        if (!Names.isRoom(room)) throw bad("room", Names.ROOM_RULE);
        return room;
    }

    /**
     * A whole-number query parameter within bounds, or the fallback when absent; else 400 naming
     * it. Written one way only (no sign, no leading zero) and given once.
     */
    private static long number(Context ctx, String name, long fallback, long min, long max) {
        List<String> given = ctx.queryParams(name);
        if (given.isEmpty()) return fallback;
        String text = given.get(0);
        if (given.size() == 1 && WHOLE_NUMBER.matcher(text).matches()) {
            long value = Long.parseLong(text);
            if (value >= min && value <= max) return value;
        }
        throw bad(name, name + " must be a whole number from " + min + " to " + max + ", given once");
    }

    /**
     * The request's body as one JSON object, parsed as strictly as a socket's frames (no key
     * twice, nothing after it): 415 unless it says it is JSON, 413 when larger than any valid one.
     */
    private JsonNode jsonBody(Context ctx) {
        long largest = 6L * maxTextBytes + 4096; // the text with every character escaped, and the other fields
        if (ctx.contentLength() > largest) {
            throw new HttpResponseException(413, "the body is larger than " + largest + " bytes", Map.of("field", "body"));
        }
        // Read before any other refusal: answering with the body still arriving makes Jetty close
        // the connection, and the client's late bytes then reset it before it reads the answer.
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > largest) {
            throw new HttpResponseException(413, "the body is larger than " + largest + " bytes", Map.of("field", "body"));
        }
        String type = ctx.contentType();
        if (type == null || !type.split(";", 2)[0].strip().equalsIgnoreCase("application/json")) {
            throw new HttpResponseException(415, "the body must be JSON (Content-Type: application/json)",
                    Map.of("field", "Content-Type"));
        }
        JsonNode body;
        try {
            body = Command.MAPPER.readTree(bytes);
        } catch (java.io.IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) throw bad("body", "the body must be one JSON object");
        return body;
    }

    private static <T> T await(CompletionStage<T> stage) {
        java.util.concurrent.CompletableFuture<T> future = stage.toCompletableFuture();
        try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            future.cancel(true); // the work it waited for stops too, where it can
            throw new HttpResponseException(503, "storage unavailable; try again", Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpResponseException(503, "interrupted", Map.of());
        } catch (Exception e) {
            throw new HttpResponseException(503, "storage unavailable; try again", Map.of());
        }
    }

    /** POST /api/rooms/{room}/messages {"text": "...", "from": "..."} → 201 {"id": ...}. */
    private void publish(Context ctx) {
        String room = roomParam(ctx);
        JsonNode body = jsonBody(ctx);
        Command.Invalid badText = Command.checkText(body.get("text"), maxTextBytes);
        if (badText != null) throw bad("text", badText.message());
        JsonNode from = body.get("from");
        String name = "api";
        if (from != null) {
            if (!from.isTextual() || Names.problem(from.asText()) != null) throw bad("from", Names.RULE);
            name = Names.normalize(from.asText());
        }
        JsonNode ref = body.get("ref");
        if (ref != null && (!ref.isTextual() || !Refs.isRef(ref.asText()))) throw bad("ref", Refs.RULE);
        // The API is one sender: a ref is delivered at most once however often it is posted.
        Draft draft = new Draft(name, null, null, body.get("text").asText(), "api", ref == null ? null : ref.asText());
        Published published = await(hub.publish(room, draft));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("id", published.id().toString());
        answer.put("room", room);
        answer.put("duplicate", published.duplicate());
        ctx.status(published.duplicate() ? 200 : 201).json(answer);
    }

    /** GET /api/rooms → rooms with members here or on any instance, and how many. */
    private void rooms(Context ctx) {
        Map<String, Integer> all = new TreeMap<>(hub.occupied());
        await(backend.remoteRooms()).forEach((room, n) -> all.merge(room, n, Integer::sum));
        List<Map<String, Object>> rooms = new ArrayList<>();
        all.forEach((room, n) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("room", room);
            entry.put("members", n);
            rooms.add(entry);
        });
        ctx.json(Map.of("rooms", rooms));
    }

    /** GET /api/rooms/{room} → members here (names and sessions), messages held, newest id. */
    private void summary(Context ctx) {
        String name = roomParam(ctx);
        Room.Summary summary = await(hub.loaded(name)).summary();
        List<Map<String, String>> members = new ArrayList<>();
        for (Member m : summary.members()) {
            Map<String, String> member = new LinkedHashMap<>();
            member.put("session", m.session());
            member.put("name", m.name());
            if (m.user() != null) member.put("user", m.user());
            members.add(member);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room", name);
        body.put("members", members);
        body.put("messages", summary.messages());
        body.put("newest", summary.newest() == null ? null : summary.newest().toString());
        ctx.json(body);
    }

    /**
     * GET /api/rooms/{room}/messages?since=ID&limit=N → the replay a socket with that since would
     * get, its first N; ?newest=N → the last N messages held. Oldest first either way.
     */
    private void messages(Context ctx) {
        String name = roomParam(ctx);
        String sinceText = ctx.queryParam("since");
        MessageId since = sinceText == null ? null : MessageId.parse(sinceText);
        if (sinceText != null && since == null) throw bad("since", "since must be a message id such as 1764000000000-42");
        int limit = (int) number(ctx, "limit", 100, 1, MAX_LIMIT);
        int newest = (int) number(ctx, "newest", 0, 1, MAX_LIMIT);
        if (newest > 0 && (since != null || ctx.queryParam("limit") != null)) {
            throw bad("newest", "newest cannot be given with since or limit");
        }
        Room room = await(hub.loaded(name));
        Room.Replay replay = newest > 0 ? room.newest(newest) : room.replay(since, limit);
        List<JsonNode> messages = new ArrayList<>();
        for (Message m : replay.messages()) messages.add(readJson(m));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("room", name);
        body.put("reset", replay.reset());
        body.put("messages", messages);
        ctx.json(body);
    }

    private static JsonNode readJson(Message m) {
        try {
            ByteBuffer payload = m.json().payload();
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e); // our own encoding
        }
    }

    /** DELETE /api/rooms/{room} → its history deleted, every member everywhere closed with 4001. */
    private void closeRoom(Context ctx) {
        String room = roomParam(ctx);
        await(backend.deleteHistory(room));
        await(backend.order(Order.closeRoom(room)));
        emit(events.make("room.closed", room, Events.data("room", room)));
        ctx.status(204);
    }

    /** DELETE /api/sessions/{session}?ban=SECONDS → closed with 4002 wherever it is; its address refused a while. */
    private void disconnect(Context ctx) {
        String session = ctx.pathParam("session");
        if (!session.matches("[0-9a-z]{1,16}")) throw bad("session", "session must be a session id from a welcome frame");
        long ban = number(ctx, "ban", 0, 0, 86_400);
        if (await(backend.order(Order.disconnect(session, ban))) == 0) {
            throw new HttpResponseException(404, "no session " + session + " on any instance", Map.of("field", "session"));
        }
        emit(events.make("session.disconnected", "session:" + session, Events.data("session", session, "banSeconds", ban)));
        ctx.status(202).json(Map.of("session", session, "banSeconds", ban));
    }

    /**
     * DELETE /api/users/{user}?ban=SECONDS → every session of that verified user closed with 4002
     * on every instance; its tokens refused a while. 202 with how many sessions were closed.
     */
    private void disconnectUser(Context ctx) {
        String user = ctx.pathParam("user");
        if (!user.matches("[\\x21-\\x7e]{1,128}")) throw bad("user", "user must be a token's sub: 1-128 visible ASCII characters");
        long ban = number(ctx, "ban", 0, 0, 86_400);
        int closed = await(backend.order(Order.disconnectUser(user, ban)));
        emit(events.make("user.disconnected", "user:" + user, Events.data("user", user, "sessions", closed, "banSeconds", ban)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("user", user);
        body.put("sessions", closed);
        body.put("banSeconds", ban);
        ctx.status(202).json(body);
    }

    /** GET /api/webhooks → where events go, what waits, the last success and failure, the next try. */
    private void webhooks(Context ctx) {
        if (webhooks == null) {
            ctx.json(Map.of("enabled", false, "reason", "WEBHOOK_URL is not set"));
            return;
        }
        ctx.json(webhooks.status());
    }

    /** An operator's order, for the app's backend: said once, by the instance that took it. */
    private void emit(Event event) {
        if (webhooks != null) webhooks.emit(event);
    }
}
