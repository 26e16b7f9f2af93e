package chorus.redis;

import chorus.protocol.Shown;
import chorus.hub.Backend;
import chorus.hub.Draft;
import chorus.hub.Order;
import chorus.hub.Published;
import chorus.hub.Room;
import chorus.protocol.MessageId;
import chorus.protocol.Refs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import chorus.tasks.TaskFailures;
import chorus.webhooks.Events;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many instances, one conversation: each room is a Redis Stream, which gives every message its
 * id and order and holds the history that joins and resumes are answered from. Publishing is one
 * script that appends (capped at the history size) and announces the entry on the room's
 * channel, where every instance following the room hears it ({@link Feeds}); presence is kept
 * per instance and written on change ({@link Presence}). Nothing here runs per room per second.
 *
 * <p>While Redis is unreachable the sockets stay open, publishing fails at once (the sender is
 * told), and the housekeeping thread reconnects; each room then reads what it missed.
 */
public final class RedisBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBackend.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    private static final long RETRY_MS = 500;
    private static final long BEAT_MS = 1_000;
    private static final Duration RECONNECT = Duration.ofMillis(500);
    private static final Duration STARTUP = Duration.ofSeconds(5); // well inside Heroku's 90 s to bind
    /** A room nobody has written to for this long disappears from Redis, history and all. */
    private static final Duration ROOM_TTL = Duration.ofDays(7);
    private static final int REQUEST_QUEUE = 10_000; // commands waiting on one connection
    /**
     * Publishes sent and not yet answered. Lettuce's request queue counts only what reached the
     * socket; behind a Redis that stopped reading, the rest waits in Netty's buffer, unbounded.
     * Past this, a publish is refused at once: certainly not sent, the sender may retry. Below
     * Lettuce's bound, so the housekeeping commands still find room in its queue.
     */
    private static final int MAX_UNANSWERED_PUBLISHES = 8_000;
    private final Semaphore unanswered = new Semaphore(MAX_UNANSWERED_PUBLISHES);
    private static final Duration SUBSCRIBER_DEADLINE = Duration.ofSeconds(3); // a PING unanswered this long: replaced

    private final ClientResources resources;
    private final Link link;
    private volatile boolean ordersHeard; // the orders channel's subscription is confirmed on its owner
    private volatile String ordersNode;
    private final int historySize;
    /**
     * Refs a room keeps at most (REDIS_MAX_REFS, about 200 bytes each): a room faster than this
     * many per {@link Refs#WINDOW} has a shorter window, and a resend from before its oldest ref is
     * refused ref-expired like one past the window.
     */
    private final int maxRefs;
    private final ScheduledExecutorService housekeeping;
    private final ExecutorService scans = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(4), r -> {
                Thread t = new Thread(r, "chorus-redis-scan");
                t.setDaemon(true);
                return t;
            });
    private final Presence presence;
    private final Feeds feeds;
    private final RedisBudget budget;
    private volatile Commands commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile ToIntFunction<Order> orderHandler = order -> 0;
    private final RedisHealth health = new RedisHealth();
    /** A PING in flight on the subscriber connection; only on the housekeeping thread. */
    private record Ping(StatefulRedisPubSubConnection<String, String> connection, CompletableFuture<String> answer,
            long sentNanos) {
    }

    private Ping subscriberPing;

    public RedisBackend(String url, boolean verifyTls, int historySize, long maxBytes, int maxRefs, TaskFailures tasks, MeterRegistry registry) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(COMMAND_TIMEOUT);
        if (uri.isSsl()) uri.setVerifyPeer(verifyTls ? SslVerifyMode.FULL : SslVerifyMode.NONE);
        // Lettuce's default reconnect backoff grows to 30 s; a chat is back within a second of Redis.
        this.resources = DefaultClientResources.builder().reconnectDelay(Delay.constant(RECONNECT)).build();
        this.link = new Link(resources, uri, REQUEST_QUEUE, new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                // The subscriber, or in a cluster one of its shards' connections.
                if (connection instanceof StatefulRedisPubSubConnection<?, ?>) {
                    ordersHeard = false;
                    feeds.disconnected();
                }
            }
        });
        this.historySize = historySize;
        this.maxRefs = maxRefs;
        this.housekeeping = tasks.thread("chorus-redis", "redis");
        this.presence = new Presence(() -> commands, housekeeping);
        this.budget = new RedisBudget(() -> commands, maxBytes, ROOM_TTL, registry);
        this.feeds = new Feeds(() -> commands, () -> pubSub, link, historySize, presence::noticed, tasks);
        connectBeforeTraffic();
        housekeeping.scheduleWithFixedDelay(this::watch, 0, BEAT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * A room's keys, all under its hash tag: its log (a stream whose entry ids are the offsets),
     * its meta hash (epoch, last offset), and the refs it remembers with when each was last sent.
     */
    private static final List<String> ROOM_PARTS = List.of("log", "meta", "refs", "refs-at");

    static String key(String room, String part) {
        return "chorus:{" + room + "}:" + part;
    }

    /** The room's own keys, in the order its scripts take them: log, meta, refs, refs-at. */
    static String[] roomKeys(String room) {
        return ROOM_PARTS.stream().map(part -> key(room, part)).toArray(String[]::new);
    }

    /** The channel operators' orders go out on, to every instance (a shard channel, like the rooms'). */
    private static final String ORDERS = "chorus:{orders}";
    private static final String ORDER_REPLIES = "chorus:order-replies:";
    private static final long ORDER_REPLY_WAIT_MS = 2_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public MessageId origin() {
        return new MessageId(0, 0); // no epoch until the room's meta is read
    }

    /**
     * Numbers the message with the room's next offset in its epoch, appends it to the log under
     * that offset, announces it on the room's channel, and remembers its (sender, ref), in one
     * step on Redis: a resend of a ref sent within {@link Refs#WINDOW} gets the first one's id back
     * instead of a second entry. A room with no meta (new, or its history lost: shed, deleted,
     * expired, or Redis lost its data) begins a new epoch, so every id and since from before it is
     * told apart by comparison; so does a room whose epoch another Redis wrote (this one was
     * promoted from a replica, or restarted from its file), which may lack that one's last writes:
     * the offsets it gave are never given again under the same epoch.
     */
    private static final String PUBLISH = """
            local me = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
            local epoch = redis.call('HGET', KEYS[2], 'epoch')
            if not epoch then -- a write that grows memory first, so a full Redis refuses the script (OOM) before any other write
              epoch = ARGV[6]
              redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 0, 'writer', me)
              redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
            elseif redis.call('HGET', KEYS[2], 'writer') ~= me then
              -- Another Redis wrote this epoch (this one was a replica, or restarted from a file): it may
              -- lack that one's last writes, so its offsets must not be given again under the same epoch.
              epoch = tostring(math.max(tonumber(ARGV[6]), tonumber(epoch) + 1))
              redis.call('HSET', KEYS[2], 'epoch', epoch, 'writer', me)
              redis.call('SPUBLISH', ARGV[8], ARGV[11])
            end
            local ref = ARGV[3]
            if ref ~= '' then
              local seen = redis.call('HGET', KEYS[3], ref)
              if seen then return {epoch .. '-' .. seen, 1} end
              local age = tonumber(ARGV[12])
              -- A resend first sent outside the window, before this epoch began, or before the oldest ref
              -- still kept (past ARGV[13] refs): whether it was delivered cannot be told, so it is not
              -- delivered again.
              local since = math.max(tonumber(epoch), tonumber(redis.call('HGET', KEYS[2], 'refs-since') or '0'))
              if age >= 0 and (age > tonumber(ARGV[10]) or tonumber(ARGV[6]) - age < since) then return {'', 2} end
            end
            local offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], offset .. '-1',
              'from', ARGV[4], 'text', ARGV[5], 'ts', ARGV[6], 'session', ARGV[7], 'user', ARGV[9])
            redis.call('SPUBLISH', ARGV[8], cjson.encode({epoch = epoch, offset = tostring(offset), from = ARGV[4], text = ARGV[5],
              ts = ARGV[6], session = ARGV[7], user = ARGV[9]}))
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            if ref ~= '' then
              redis.call('HSET', KEYS[3], ref, offset)
              redis.call('ZADD', KEYS[4], ARGV[6], ref)
              local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[6]) - tonumber(ARGV[10]), 'LIMIT', 0, 10)
              for _, r in ipairs(old) do
                redis.call('HDEL', KEYS[3], r)
                redis.call('ZREM', KEYS[4], r)
              end
              if redis.call('ZCARD', KEYS[4]) > tonumber(ARGV[13]) then -- the bound in bytes: the oldest goes early, and says so
                local oldest = redis.call('ZPOPMIN', KEYS[4])
                redis.call('HDEL', KEYS[3], oldest[1])
                redis.call('HSET', KEYS[2], 'refs-since', tonumber(oldest[2]) + 1)
              end
              redis.call('PEXPIRE', KEYS[3], ARGV[2])
              redis.call('PEXPIRE', KEYS[4], ARGV[2])
            end
            return {epoch .. '-' .. offset, 0}
            """;

    @Override
    public CompletionStage<Published> publish(Room room, Draft draft) {
        Commands c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        if (!unanswered.tryAcquire()) {
            return CompletableFuture.failedFuture(new IllegalStateException("Redis is behind: " + MAX_UNANSWERED_PUBLISHES + " publishes unanswered"));
        }
        String name = room.name();
        long sent = System.nanoTime();
        CompletionStage<List<Object>> reply = c.async().eval(PUBLISH, ScriptOutputType.MULTI, roomKeys(name),
                String.valueOf(historySize), String.valueOf(ROOM_TTL.toMillis()), draft.dedupeKey() == null ? "" : draft.dedupeKey(),
                draft.from(), draft.text(), String.valueOf(System.currentTimeMillis()),
                draft.session() == null ? "" : draft.session(), Feeds.channel(name),
                draft.user() == null ? "" : draft.user(), String.valueOf(Refs.WINDOW.toMillis()), Feeds.FORGOTTEN_NOTICE, String.valueOf(draft.age()),
                String.valueOf(maxRefs));
        return reply.handle((r, failure) -> {
            unanswered.release();
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            health.writing(cause);
            if (failure == null) health.roundTrip(System.nanoTime() - sent);
            if (failure == null && ((Long) r.get(1)) == 2) throw new RefExpired();
            if (failure == null && ((Long) r.get(1)) == 0) budget.attribute(c, name, room.maker(), draft.text().length());
            if (failure == null) return new Published(MessageId.parse((String) r.get(0)), ((Long) r.get(1)) == 1);
            if ("out-of-memory".equals(RedisHealth.reason(cause))) housekeeping.execute(budget::enforce); // ours to shed, maybe
            // A command that timed out may still run (a hung Redis runs its queue when it wakes).
            if (cause instanceof RedisCommandTimeoutException) throw new OutcomeUnknown(cause);
            throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
        });
    }

    /** Refused at once while disconnected, rather than queued: the caller hears it now. */
    static <T> CompletionStage<T> notConnected() {
        return CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected"));
    }

    /** On the room's channel, so every instance following it (this one too) hands it to its members; lost when Redis is. */
    @Override
    public void ephemeral(Room room, ByteBuffer frame) {
        Commands c = commands;
        if (c == null || !c.isOpen()) return;
        c.async().spublish(Feeds.channel(room.name()), Feeds.EPHEMERAL_NOTICE + StandardCharsets.UTF_8.decode(frame.duplicate()));
    }

    @Override
    public CompletionStage<Void> deleteHistory(String room) {
        Commands c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        String[] keys = Arrays.copyOf(roomKeys(room), ROOM_PARTS.size() + 1);
        keys[ROOM_PARTS.size()] = Presence.key(room); // under the room's hash tag too: one DEL
        return forget(c, room, keys).thenApply(heard -> null);
    }

    /**
     * Deletes a room's keys and says so on its channel: its epoch is gone with its meta, so every
     * instance following it drops what it held and tells its members (a reset).
     */
    static CompletionStage<Long> forget(Commands c, String room, String... keys) {
        return c.async().del(keys).thenCompose(deleted -> c.async().spublish(Feeds.channel(room), Feeds.FORGOTTEN_NOTICE));
    }

    /**
     * Scans every room's presence on a thread of its own with a short queue (never the common
     * pool, whose threads others need): past the queue the API hears "unavailable" at once, and a
     * request that gives up cancels its scan.
     */
    @Override
    public CompletionStage<Map<String, Integer>> remoteRooms() {
        CompletableFuture<Map<String, Integer>> rooms = new CompletableFuture<>();
        try {
            Future<?> scan = scans.submit(() -> {
                try {
                    rooms.complete(presence.elsewhere());
                } catch (RuntimeException e) {
                    rooms.completeExceptionally(e);
                }
            });
            rooms.whenComplete((done, failure) -> {
                if (rooms.isCancelled()) scan.cancel(true);
            });
        } catch (RejectedExecutionException busy) {
            rooms.completeExceptionally(busy);
        }
        return rooms;
    }

    /**
     * Publishes the order; each instance that hears it pushes how many sockets it reached onto a
     * list named in the order, and the sum is the answer once as many replies as PUBLISH had
     * receivers are in (or, past {@link #ORDER_REPLY_WAIT_MS}, the sum of those that are).
     */
    @Override
    public CompletionStage<Integer> order(Order order) {
        Commands c = commands;
        if (c == null || !c.isOpen()) return notConnected();
        String replies = ORDER_REPLIES + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        String json = JSON.createObjectNode().put("kind", order.kind().name()).put("target", order.target())
                .put("seconds", order.seconds()).put("replies", replies).toString();
        CompletableFuture<Integer> reached = new CompletableFuture<>();
        c.async().spublish(ORDERS, json).whenComplete((receivers, failure) -> {
            if (failure != null) reached.completeExceptionally(failure);
            else collect(c, replies, receivers, System.nanoTime() + ORDER_REPLY_WAIT_MS * 1_000_000L, reached);
        });
        return reached;
    }

    private void collect(Commands c, String replies, long expected, long deadline,
            CompletableFuture<Integer> reached) {
        c.async().lrange(replies, 0, -1).whenComplete((counts, failure) -> {
            if (failure != null) {
                reached.completeExceptionally(failure);
            } else if (counts.size() >= expected || System.nanoTime() - deadline > 0) {
                reached.complete(counts.stream().mapToInt(Integer::parseInt).sum());
            } else if (!reached.isDone()) { // a request that gave up cancelled it
                housekeeping.schedule(() -> collect(c, replies, expected, deadline, reached), 10, TimeUnit.MILLISECONDS);
            }
        });
    }

    @Override
    public void onOrder(ToIntFunction<Order> handler) {
        this.orderHandler = handler;
    }

    private void heard(String json) {
        JsonNode node;
        Order order;
        try {
            node = JSON.readTree(json);
            order = new Order(Order.Kind.valueOf(node.path("kind").asText()), node.path("target").asText(), node.path("seconds").asLong());
        } catch (Exception e) {
            LOG.warn("ignored an order that is not one: {}", json);
            return;
        }
        int reached = orderHandler.applyAsInt(order);
        String replies = node.path("replies").asText("");
        Commands c = commands;
        if (replies.startsWith(ORDER_REPLIES) && c != null && c.isOpen()) {
            c.async().rpush(replies, Integer.toString(reached));
            c.async().pexpire(replies, 10_000);
        }
    }

    /**
     * Subscribes to the room's channel, then loads its newest messages without waiting: the room
     * admits its joiners when they arrive.
     */
    @Override
    public void follow(Room room) {
        presence.follow(room);
        feeds.follow(room);
    }

    @Override
    public void ahead(Room room, MessageId since) {
        feeds.aheadOf(room, since.epoch());
    }

    @Override
    public void unfollow(Room room) {
        feeds.unfollow(room);
        presence.unfollow(room);
    }

    @Override
    public void presence(Room room, List<Shown> localNames) {
        presence.publish(room, localNames);
    }

    /** Webhooks shared by every instance on this Redis: events wait in a stream, and who is where is counted here. */
    public SharedOutbox webhooks(Events events, long maxBytes, MeterRegistry registry) {
        return new SharedOutbox(() -> commands, events, maxBytes, registry);
    }

    @Override
    public String problem() {
        Commands c = commands;
        if (c == null || !c.isOpen()) return "unreachable";
        return health.problem();
    }

    /** Reconnects when needed and beats: a Redis that stops answering shows in /health within a second or two. */
    private void watch() {
        try {
            connect();
            Commands c = commands;
            long sent = System.nanoTime();
            if (c != null && c.isOpen()) c.async().ping().thenRun(() -> health.roundTrip(System.nanoTime() - sent));
            presence.beat(); // throws while Redis does not answer: the subscriber is judged only when it does
            checkSubscriber();
            budget.enforce();
            health.reading(null);
        } catch (RuntimeException e) {
            health.reading(e);
        }
    }

    /**
     * The subscriber connection hears only what Redis pushes, so a half-open one (its Redis side
     * dropped by a NAT, a load balancer or a failover) is silent, not failed: every beat that Redis
     * answers on the command connection, it is pinged, and one whose PING goes unanswered past
     * the deadline is closed and replaced. Its
     * rooms subscribe again on the new one and read what they missed from their streams.
     */
    private void checkSubscriber() {
        StatefulRedisPubSubConnection<String, String> c = pubSub;
        if (c == null || !c.isOpen()) { // known lost: Lettuce reconnects it and subscribes again itself
            subscriberPing = null;
            return;
        }
        if (subscriberPing != null && subscriberPing.connection() == c) {
            boolean late = System.nanoTime() - subscriberPing.sentNanos() > SUBSCRIBER_DEADLINE.toNanos();
            if (!subscriberPing.answer().isDone() && !late) return;
            if (!subscriberPing.answer().isDone() || subscriberPing.answer().isCompletedExceptionally()) {
                replaceSubscriber(c); // unanswered past the deadline, or timed out by Lettuce
                return;
            }
            health.listening(null);
        }
        subscriberPing = new Ping(c, c.async().ping().toCompletableFuture(), System.nanoTime());
    }

    private void replaceSubscriber(StatefulRedisPubSubConnection<String, String> silent) {
        LOG.warn("Redis subscriber connection did not answer a PING within {}: replacing it", SUBSCRIBER_DEADLINE);
        health.listening("subscriber-unanswered");
        subscriberPing = null;
        synchronized (this) {
            if (pubSub == silent) pubSub = null;
        }
        silent.closeAsync();
        feeds.disconnected();
        connect();
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
                    LOG.warn("Redis unreachable at start-up ({}): starting degraded, retrying every {} ms", e.getMessage(), BEAT_MS);
                    return;
                }
                sleep(RETRY_MS);
            }
        }
    }

    private synchronized void connect() {
        if (commands == null) commands = link.connect();
        if (pubSub == null) {
            StatefulRedisPubSubConnection<String, String> c = link.connectPubSub();
            c.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void smessage(String channel, String message) {
                    if (channel.equals(ORDERS)) heard(message);
                    else feeds.heard(channel, message);
                }

                @Override
                public void ssubscribed(String channel, long count) {
                    if (channel.equals(ORDERS)) ordersHeard = true;
                    else feeds.subscribed(channel);
                }

                @Override
                public void sunsubscribed(String channel, long count) {
                    if (channel.equals(ORDERS)) ordersHeard = false;
                    else feeds.unsubscribed(channel);
                }
            });
            pubSub = c;
        }
        hearOrders();
    }

    /**
     * Subscribes to the orders channel where it is now, unless confirmed there: at each beat,
     * since a reconnect or a failover may have ended the subscription without a word.
     */
    private void hearOrders() {
        StatefulRedisPubSubConnection<String, String> c = pubSub;
        String owner = link.owner(ORDERS);
        if (ordersHeard && Objects.equals(owner, ordersNode)) return;
        ordersHeard = false;
        ordersNode = owner;
        if (c != null && c.isOpen()) link.subscribe(c, ORDERS);
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
        try {
            housekeeping.submit(presence::stop).get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("presence not cleared at stop: {}", e.toString());
        }
        housekeeping.shutdownNow();
        scans.shutdownNow();
        link.shutdown();
        feeds.stop(); // after the client: nothing hands it messages any more
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
}
