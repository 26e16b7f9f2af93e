package chorus.redis;

import chorus.hub.Backend;
import chorus.hub.Draft;
import chorus.hub.Message;
import chorus.hub.Published;
import chorus.hub.Order;
import chorus.hub.Room;
import chorus.protocol.MessageId;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many instances, one conversation: each room is a Redis Stream. Publishing is an XADD (capped
 * at the history size); one reading loop per instance XREADs every room it has members in and
 * delivers what it reads, so every instance sees the same order and the same ids, and history
 * and resume come from the same stream. Presence is a hash per room, one field per instance,
 * refreshed every second (see {@link Presence}).
 *
 * <p>While Redis is unreachable the sockets stay open, publishing fails at once (the sender is
 * told), and the loop retries until Redis answers again.
 */
public final class RedisBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBackend.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    private static final long BLOCK_MS = 100; // how long one XREAD waits: also how soon a new room is read
    private static final long RETRY_MS = 500;
    private static final Duration RECONNECT = Duration.ofMillis(500);
    private static final Duration STARTUP = Duration.ofSeconds(5); // well inside Heroku's 90 s to bind
    /** A room nobody has written to for this long disappears from Redis, history and all. */
    private static final Duration ROOM_TTL = Duration.ofDays(7);

    private final ClientResources resources;
    private final RedisClient client;
    private final int historySize;
    private final Map<String, Follow> followed = new ConcurrentHashMap<>(); // by stream key
    private final Presence presence;
    private final Thread loop;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisConnection<String, String> reading;
    private volatile StatefulRedisPubSubConnection<String, String> orders;
    private volatile Consumer<Order> orderHandler = order -> { };
    private final RedisHealth health = new RedisHealth();
    private volatile boolean running = true;

    /** A followed room and the id up to which this instance has read it. */
    private record Follow(Room room, String after) {
    }

    public RedisBackend(String url, boolean verifyTls, int historySize) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(COMMAND_TIMEOUT);
        if (uri.isSsl()) uri.setVerifyPeer(verifyTls ? SslVerifyMode.FULL : SslVerifyMode.NONE);
        // Lettuce's default reconnect backoff grows to 30 s; a chat is back within a second of Redis.
        this.resources = DefaultClientResources.builder().reconnectDelay(Delay.constant(RECONNECT)).build();
        this.client = RedisClient.create(resources, uri);
        // Fail at once while disconnected rather than queue: the sender hears "unavailable" now.
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        this.historySize = historySize;
        this.presence = new Presence(this::connection);
        this.loop = new Thread(this::readLoop, "chorus-redis-reader");
        loop.setDaemon(true);
        LOG.info("Redis backend at {}:{}{}", uri.getHost(), uri.getPort(), uri.isSsl() ? " (TLS)" : "");
        connectBeforeTraffic();
        loop.start();
    }

    private static final String STREAM_PREFIX = "chorus:room:";
    private static final String ORIGIN_PREFIX = "chorus:origin:";
    /** The channel operators' orders go out on, to every instance. */
    private static final String ORDERS = "chorus:orders";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String key(Room room) {
        return STREAM_PREFIX + room.name();
    }

    StatefulRedisConnection<String, String> connection() {
        return commands;
    }

    @Override
    public MessageId origin() {
        return new MessageId(0, 0); // stream ids are time-based: every id is after this
    }

    /**
     * Appends to the room's stream and remembers the (sender, ref), in one step on Redis: a
     * resend of a ref it still remembers gets the first one's id back instead of a second entry.
     */
    private static final String PUBLISH = """
            if KEYS[3] then
              local seen = redis.call('GET', KEYS[3])
              if seen then return {seen, 1} end
            end
            local origin = redis.call('GET', KEYS[2]) or ''
            local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
              'from', ARGV[4], 'text', ARGV[5], 'ts', ARGV[6], 'session', ARGV[7], 'origin', origin)
            if origin == '' then redis.call('SET', KEYS[2], id) end
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            if KEYS[3] then redis.call('SET', KEYS[3], id, 'EX', ARGV[3]) end
            return {id, 0}
            """;
    /** How long Redis remembers a (sender, ref): resends within it are delivered once. */
    static final Duration REF_TTL = Duration.ofMinutes(10);

    @Override
    public CompletionStage<Published> publish(Room room, Draft draft) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        // The origin key marks where this stream began: an entry written when it is missing (a new
        // room, or a Redis that lost its data) begins the room's history anew, on every instance.
        String origin = ORIGIN_PREFIX + room.name();
        String[] keys = draft.dedupeKey() == null ? new String[] {key(room), origin}
                : new String[] {key(room), origin, "chorus:ref:" + room.name() + ":" + draft.dedupeKey()};
        CompletionStage<List<Object>> reply = c.async().eval(PUBLISH, ScriptOutputType.MULTI, keys,
                String.valueOf(historySize), String.valueOf(ROOM_TTL.toMillis()), String.valueOf(REF_TTL.toSeconds()),
                draft.from(), draft.text(), String.valueOf(System.currentTimeMillis()),
                draft.session() == null ? "" : draft.session());
        return reply.handle((r, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            health.writing(cause);
            if (failure == null) return new Published(MessageId.parse((String) r.get(0)), ((Long) r.get(1)) == 1);
            // A command that timed out may still run (a hung Redis runs its queue when it wakes).
            if (cause instanceof RedisCommandTimeoutException) throw new OutcomeUnknown(cause);
            throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
        });
    }

    /** Refused at once while disconnected, rather than queued: the caller hears it now. */
    private static <T> CompletionStage<T> notConnected() {
        return CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected"));
    }

    @Override
    public CompletionStage<Void> deleteHistory(String room) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        return c.async().del(STREAM_PREFIX + room, ORIGIN_PREFIX + room, Presence.key(room)).thenApply(deleted -> null);
    }

    @Override
    public CompletionStage<Map<String, Integer>> remoteRooms() {
        return CompletableFuture.supplyAsync(presence::elsewhere);
    }

    @Override
    public CompletionStage<Void> order(Order order) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        String json = JSON.createObjectNode().put("kind", order.kind().name()).put("target", order.target())
                .put("seconds", order.seconds()).toString();
        return c.async().publish(ORDERS, json).thenApply(receivers -> null);
    }

    @Override
    public void onOrder(Consumer<Order> handler) {
        this.orderHandler = handler;
    }

    private void heard(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            orderHandler.accept(new Order(Order.Kind.valueOf(node.path("kind").asText()), node.path("target").asText(),
                    node.path("seconds").asLong()));
        } catch (Exception e) {
            LOG.warn("ignored an order that is not one: {}", json);
        }
    }

    /**
     * Loads the newest messages (and the id before them) without waiting: the room admits its
     * joiners when they arrive, on a Redis thread. Then this instance reads the room on from there.
     */
    @Override
    public void follow(Room room) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) {
            // Degraded: no history now; the loop reads the whole stream once Redis is back.
            LOG.warn("could not load room {} from Redis: not connected", room.name());
            loaded(room, List.of());
            return;
        }
        c.async().xrevrange(key(room), Range.create("-", "+"), Limit.from(historySize + 1))
                .whenComplete((newest, failure) -> {
                    if (failure != null) LOG.warn("could not load room {} from Redis: {}", room.name(), failure.toString());
                    loaded(room, failure == null ? newest : List.of());
                });
    }

    private void loaded(Room room, List<StreamMessage<String, String>> newestFirst) {
        List<StreamMessage<String, String>> newest = new ArrayList<>(newestFirst);
        MessageId before = null;
        if (newest.size() > historySize) before = MessageId.parse(newest.remove(newest.size() - 1).getId());
        Collections.reverse(newest);
        List<Message> held = new ArrayList<>();
        for (StreamMessage<String, String> m : newest) held.add(toMessage(room, m));
        String after = newest.isEmpty() ? "0-0" : newest.get(newest.size() - 1).getId();
        room.load(held, before);
        Follow follow = new Follow(room, after);
        // A room forgotten while it loaded never displaces the entry of one of its name made since.
        followed.compute(key(room), (key, existing) -> existing == null || !room.retired() ? follow : existing);
        presence.follow(room);
        if (room.retired()) unfollow(room); // forgotten while it loaded: the hub's unfollow may have come first
    }

    @Override
    public void unfollow(Room room) {
        // Only this room's entry: a room of the same name made since must keep hearing from Redis.
        followed.computeIfPresent(key(room), (key, follow) -> follow.room() == room ? null : follow);
        presence.unfollow(room);
    }

    @Override
    public void presence(Room room, List<String> localNames) {
        presence.publish(room, localNames);
    }

    @Override
    public String problem() {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || !c.isOpen()) return "unreachable";
        return health.problem();
    }

    private static Message toMessage(Room room, StreamMessage<String, String> m) {
        Map<String, String> body = m.getBody();
        String session = body.getOrDefault("session", "");
        Draft draft = new Draft(body.getOrDefault("from", "?"), session.isEmpty() ? null : session,
                body.getOrDefault("text", ""), null, null);
        MessageId id = MessageId.parse(m.getId());
        // "" marks the entry that began the stream; no field at all, an entry from before origins.
        String origin = body.get("origin");
        MessageId began = origin == null ? null : origin.isEmpty() ? id : MessageId.parse(origin);
        return Message.of(id, room.name(), draft, Long.parseLong(body.getOrDefault("ts", "0")), began);
    }

    private void readLoop() {
        while (running) {
            try {
                connect();
                readOnce();
                health.reading(null);
            } catch (RuntimeException e) {
                if (!running) return;
                health.reading(e);
                sleep(RETRY_MS);
            }
        }
    }

    /**
     * Heroku's router sends traffic as soon as the port is bound, so the connections are made
     * before it is: within a bound, past which the instance starts degraded and says so.
     */
    private void connectBeforeTraffic() {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            try {
                connect();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    LOG.warn("Redis unreachable at start-up ({}): starting degraded, retrying every {} ms", e.getMessage(), RETRY_MS);
                    return;
                }
                sleep(RETRY_MS);
            }
        }
    }

    private void connect() {
        if (commands == null) commands = client.connect();
        if (reading == null) reading = client.connect();
        if (orders == null) {
            StatefulRedisPubSubConnection<String, String> pubSub = client.connectPubSub();
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    heard(message);
                }
            });
            pubSub.sync().subscribe(ORDERS); // Lettuce subscribes again after a reconnect
            orders = pubSub;
        }
    }

    @SuppressWarnings("unchecked")
    private void readOnce() {
        if (followed.isEmpty()) {
            reading.sync().ping(); // keeps /health honest while no room is followed
            sleep(BLOCK_MS);
            return;
        }
        List<Follow> follows = List.copyOf(followed.values());
        StreamOffset<String>[] offsets = follows.stream()
                .map(f -> StreamOffset.from(key(f.room()), f.after())).toArray(StreamOffset[]::new);
        List<StreamMessage<String, String>> read = reading.sync().xread(
                XReadArgs.Builder.block(BLOCK_MS).count(1000), offsets);
        for (StreamMessage<String, String> m : read) {
            Follow f = followed.get(m.getStream());
            if (f == null) continue;
            f.room().deliver(toMessage(f.room(), m));
            followed.replace(m.getStream(), f, new Follow(f.room(), m.getId()));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        running = false;
        presence.stop();
        loop.interrupt();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
