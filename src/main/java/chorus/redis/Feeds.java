package chorus.redis;

import chorus.hub.Draft;
import chorus.hub.Message;
import chorus.hub.Room;
import chorus.protocol.MessageId;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import chorus.tasks.TaskFailures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the rooms this instance follows hear from Redis. The publish script sends every entry it
 * appends to the room's channel too, so live messages arrive by pub/sub: an idle room costs
 * nothing, and a message costs the same however many rooms are followed. The stream is read only
 * when a subscription is confirmed: the first time, for the room's history; again (after a lost
 * connection), for what was published meanwhile. Live messages wait while such a read is in
 * flight and follow it, so a room gets every entry once and in order. One thread does all of it.
 */
final class Feeds {
    private static final Logger LOG = LoggerFactory.getLogger(Feeds.class);
    private static final String CHANNEL_PREFIX = "chorus:live:";
    /** Begins what an instance says on a room's channel when its members of it changed (see {@link Presence}). */
    static final String PRESENCE_NOTICE = "presence:";
    /** What an instance says on a room's channel when the room's history began again ({@link #REBASE}). */
    private static final String ORIGIN_NOTICE = "origin:";
    private static final int PAGE = 1_000; // entries per read while catching up
    private static final long RETRY_MS = 1_000; // subscriptions not confirmed are asked for again this often
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HELD = 10_000;

    private final Supplier<StatefulRedisConnection<String, String>> commands;
    private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSub;
    private final int historySize;
    private final Duration ttl; // of a room's keys
    private final BiConsumer<Room, String> presenceNoticed; // with the notice, or null when one may have been missed
    private final Map<String, Feed> feeds = new HashMap<>(); // by channel; only on the thread
    private final TaskFailures tasks;
    private final ScheduledExecutorService thread;

    /** One followed room. */
    private static final class Feed {
        final Room room;
        boolean subscribed; // confirmed since the pub/sub connection was last lost
        boolean subscribing;
        boolean loaded; // the room has had its history
        boolean gone; // unfollowed: what is still in flight is dropped
        int reads; // stream reads (and rebases) in flight
        List<Message> held = new ArrayList<>(); // live messages waiting for the reads (and the load)
        // The newest entry handed to the room or from before its history; null once loaded: none
        // yet since the history began (again), so reads start at the origin.
        MessageId last;
        MessageId origin = new MessageId(0, 0); // where the room's history began, as far as this feed knows

        Feed(Room room) {
            this.room = room;
        }
    }

    Feeds(Supplier<StatefulRedisConnection<String, String>> commands,
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSub, int historySize, Duration ttl,
            BiConsumer<Room, String> presenceNoticed, TaskFailures tasks) {
        this.ttl = ttl;
        this.tasks = tasks;
        this.thread = tasks.thread("chorus-redis-feeds", "redis-feed");
        this.commands = commands;
        this.pubSub = pubSub;
        this.historySize = historySize;
        this.presenceNoticed = presenceNoticed;
        thread.scheduleWithFixedDelay(this::resubscribe, RETRY_MS, RETRY_MS, TimeUnit.MILLISECONDS);
    }

    static String channel(String room) {
        return CHANNEL_PREFIX + room;
    }

    static boolean isChannel(String channel) {
        return channel.startsWith(CHANNEL_PREFIX);
    }

    void follow(Room room) {
        thread.execute(() -> {
            if (room.retired()) return; // forgotten before it got here: the hub's unfollow came first
            Feed feed = new Feed(room);
            Feed replaced = feeds.put(channel(room.name()), feed);
            if (replaced != null) replaced.gone = true;
            subscribe(feed);
        });
    }

    void unfollow(Room room) {
        thread.execute(() -> {
            String channel = channel(room.name());
            Feed feed = feeds.get(channel);
            if (feed == null || feed.room != room) return; // a room of the same name made since keeps its feed
            feeds.remove(channel);
            feed.gone = true;
            StatefulRedisPubSubConnection<String, String> c = pubSub.get();
            if (c != null && c.isOpen()) c.async().unsubscribe(channel);
        });
    }

    /** From the pub/sub connection: a room's channel carried a message or a presence notice. */
    void heard(String channel, String payload) {
        thread.execute(() -> {
            Feed feed = feeds.get(channel);
            if (feed != null) onFeed(feed, () -> heard(feed, payload));
        });
    }

    private void heard(Feed feed, String payload) {
        if (payload.startsWith(PRESENCE_NOTICE)) {
            presenceNoticed.accept(feed.room, payload);
            return;
        }
        if (payload.startsWith(ORIGIN_NOTICE)) { // another instance found that Redis forgot some of this room
            MessageId origin = MessageId.parse(payload.substring(ORIGIN_NOTICE.length()));
            // A room still loading reads the origin with its history, or, if it read before the notice, from the next message.
            if (origin == null || !feed.loaded || origin.compareTo(feed.origin) <= 0) return;
            began(feed, origin);
            readFromOrigin(feed);
            return;
        }
        Message message = parse(feed.room, payload);
        if (message == null) return;
        if (feed.held == null) {
            hand(feed, message);
        } else if (feed.held.size() < MAX_HELD) {
            feed.held.add(message);
        } else { // the read it waits for is failing: the next one reads all this from the stream
            feed.held.clear();
            feed.subscribed = false;
        }
    }

    /** From the pub/sub connection: Redis confirmed a subscription, so what follows is live. */
    void subscribed(String channel) {
        thread.execute(() -> {
            Feed feed = feeds.get(channel);
            if (feed == null) return;
            feed.subscribed = true;
            onFeed(feed, () -> read(feed));
            presenceNoticed.accept(feed.room, null); // notices may have been missed too
        });
    }

    /** The pub/sub connection was lost: what was published meanwhile is read once it is back. */
    void disconnected() {
        thread.execute(() -> feeds.values().forEach(feed -> feed.subscribed = false));
    }

    private void subscribe(Feed feed) {
        StatefulRedisPubSubConnection<String, String> c = pubSub.get();
        CompletionStage<Void> asked = c == null || !c.isOpen()
                ? RedisBackend.<Void>notConnected()
                : c.async().subscribe(channel(feed.room.name()));
        feed.subscribing = true;
        asked.whenComplete((ok, failure) -> thread.execute(() -> {
            feed.subscribing = false;
            // Joiners wait for the history: give them what can be had now, and subscribe later.
            if (failure != null && !feed.loaded && feed.reads == 0 && !feed.gone) read(feed);
        }));
    }

    /** Asks again for the subscriptions Redis has not confirmed (it was unreachable, or hung). */
    private void resubscribe() {
        for (Feed feed : feeds.values()) {
            if (!feed.subscribed && !feed.subscribing) subscribe(feed);
        }
    }

    /**
     * One look at a room's stream, in one step on Redis: where its history began (the origin key),
     * the newest id it ever gave, its first entry's id (trimming moves it), whether the entry a read
     * starts after is still there, and the entries. ARGV[1] is "" for the newest entries (newest first), an id
     * for the entries after it, or "[" and an id for the entries from it on.
     */
    private static final String READ = """
            local origin = redis.call('GET', KEYS[2]) or ''
            if redis.call('EXISTS', KEYS[1]) == 0 then return {origin, '0-0', '0-0', 0, {}} end
            local generated, first = '0-0', '0-0'
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then generated = info[i + 1]
              elseif info[i] == 'recorded-first-entry-id' then first = info[i + 1] end
            end
            local from = ARGV[1]
            if from == '' then
              return {origin, generated, first, 1, redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2])}
            elseif string.sub(from, 1, 1) == '[' then
              return {origin, generated, first, 1, redis.call('XRANGE', KEYS[1], string.sub(from, 2), '+', 'COUNT', ARGV[2])}
            end
            local present = #redis.call('XRANGE', KEYS[1], from, from)
            return {origin, generated, first, present, redis.call('XRANGE', KEYS[1], '(' .. from, '+', 'COUNT', ARGV[2])}
            """;

    /**
     * Moves a room's origin past what Redis forgot (unless another instance moved it further
     * already), makes the stream's next ids follow it, and tells every instance; answers the origin.
     */
    private static final String REBASE = """
            local function id(s)
              local ms, seq = string.match(s, '^(%d+)-(%d+)$')
              return tonumber(ms), tonumber(seq)
            end
            local current = redis.call('GET', KEYS[2])
            if current then
              local cm, cs = id(current)
              local pm, ps = id(ARGV[1])
              if cm > pm or cm == pm and cs >= ps then return current end
            end
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
            if redis.call('EXISTS', KEYS[1]) == 0 then
              redis.call('XADD', KEYS[1], 'MAXLEN', '0', ARGV[1], 'origin', ARGV[1])
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            else
              pcall(redis.call, 'XSETID', KEYS[1], ARGV[1]) -- refused when newer entries exist: they follow it already
            end
            redis.call('PUBLISH', ARGV[3], ORIGIN_NOTICE .. ARGV[1])
            return ARGV[1]
            """.replace("ORIGIN_NOTICE", "'" + ORIGIN_NOTICE + "'");

    /** What {@link #READ} answered. */
    private record Look(MessageId origin, MessageId generated, MessageId first, boolean present, List<Message> entries,
            List<String> ids) {
    }

    /**
     * The room's newest entries (its first read), what came after the last one handed over, or,
     * after its history began again, what came from there on; in pages.
     */
    private void read(Feed feed) {
        if (feed.held == null) feed.held = new ArrayList<>();
        feed.reads++;
        StatefulRedisConnection<String, String> c = commands.get();
        boolean load = !feed.loaded;
        CompletionStage<List<Object>> read;
        if (c == null || !c.isOpen()) {
            read = RedisBackend.notConnected();
        } else {
            String from = load ? "" : feed.last == null ? "[" + feed.origin : feed.last.toString();
            read = c.async().eval(READ, ScriptOutputType.MULTI, keys(feed.room), from,
                    String.valueOf(load ? historySize + 1 : PAGE));
        }
        read.whenComplete((reply, failure) -> thread.execute(() -> onFeed(feed, () -> read(feed, load, reply, failure))));
    }

    private static String[] keys(Room room) {
        return new String[] {RedisBackend.streamKey(room.name()), RedisBackend.originKey(room.name())};
    }

    private void read(Feed feed, boolean load, List<Object> reply, Throwable failure) {
        feed.reads--;
        if (feed.gone) return;
        if (failure != null) {
            LOG.warn("could not read room {} from Redis: {}", feed.room.name(), failure.toString());
            feed.subscribed = false; // read again once Redis confirms the subscription again
            if (!load) return; // live messages wait for the read that fills the gap before them
            load(feed, null); // joiners wait for the history: give them what can be had now
        } else if (load) {
            load(feed, look(feed.room, reply));
        } else if (!caughtUp(feed, look(feed.room, reply))) {
            return; // another read, or a rebase, is under way
        }
        if (feed.reads > 0 || !feed.loaded || feed.held == null) return;
        List<Message> held = feed.held;
        feed.held = null;
        held.forEach(message -> hand(feed, message));
    }

    /**
     * Hands over a page read after the last entry handed over, once it proves that nothing
     * between them is missing: that entry is still there (trimming removes the oldest first). If
     * it was trimmed, so may the entries after it have been: the room tells its members it may
     * have a gap. If it is gone although newer entries remain, or Redis never gave its id, Redis
     * went back in time (lost data): the room's history begins again. False while more is to be read.
     */
    private boolean caughtUp(Feed feed, Look look) {
        if (look.origin() != null && look.origin().compareTo(feed.origin) > 0) { // began again, by another's hand
            began(feed, look.origin());
            readFromOrigin(feed);
            return false;
        }
        if (feed.last != null && !look.present()) {
            MessageId last = feed.last;
            if (look.generated().compareTo(last) < 0 || look.first().compareTo(last) <= 0) {
                rebase(feed, new MessageId(last.epoch(), last.seq() + 1));
                return false;
            }
            feed.room.gap(look.first());
        }
        look.entries().forEach(message -> hand(feed, message)); // until one is handed over, reads start at the origin
        if (look.ids().size() == PAGE) { // more than a page behind: read on from there
            read(feed);
            return false;
        }
        return true;
    }

    /** Redis forgot what this instance delivered: the room's history begins again after it, on every instance. */
    private void rebase(Feed feed, MessageId past) {
        feed.reads++;
        StatefulRedisConnection<String, String> c = commands.get();
        CompletionStage<String> asked = c == null || !c.isOpen()
                ? RedisBackend.<String>notConnected()
                : c.async().eval(REBASE, ScriptOutputType.VALUE, keys(feed.room), past.toString(),
                        String.valueOf(ttl.toMillis()), channel(feed.room.name()));
        LOG.warn("Redis no longer has what room {} delivered up to {}: its history begins again", feed.room.name(), past);
        asked.whenComplete((origin, failure) -> thread.execute(() -> onFeed(feed, () -> {
            feed.reads--;
            if (feed.gone) return;
            if (failure != null) {
                feed.subscribed = false; // the next subscription reads and finds it again
                return;
            }
            began(feed, MessageId.parse(origin));
            readFromOrigin(feed);
        })));
    }

    /** The room's history began again at this origin (if it is newer than the one it has). */
    private static void began(Feed feed, MessageId origin) {
        if (origin.compareTo(feed.origin) <= 0) return;
        feed.origin = origin;
        feed.room.rebase(origin);
    }

    /** After its history began again, a room reads on from where it began. */
    private void readFromOrigin(Feed feed) {
        feed.last = null;
        read(feed);
    }

    /**
     * Runs one step of a feed. If it throws (a room's load or delivery), the feed is put back to
     * "not subscribed", with live messages held: the next resubscription reads the stream from the
     * last id handed over, so nothing is lost or doubled, and live delivery resumes after it.
     */
    private void onFeed(Feed feed, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            tasks.failed("redis-feed", e);
            feed.subscribed = false;
            if (feed.held == null) feed.held = new ArrayList<>();
        }
    }

    /** The room's first read (null: none could be had): its history, and where the stream stands. */
    private void load(Feed feed, Look look) {
        List<Message> held = new ArrayList<>();
        MessageId before = null;
        MessageId began = null;
        if (look != null) {
            began = look.origin();
            List<Message> newest = new ArrayList<>(look.entries());
            if (newest.size() > historySize) before = newest.remove(newest.size() - 1).id();
            Collections.reverse(newest);
            for (Message message : newest) {
                if (message.origin() != null && (began == null || message.origin().compareTo(began) > 0)) began = message.origin();
            }
            for (Message message : newest) {
                if (began == null || message.id().compareTo(began) >= 0) held.add(message);
            }
            // Later reads start after its newest entry, in the history or from before its origin.
            if (!look.ids().isEmpty()) feed.last = MessageId.parse(look.ids().get(0));
        }
        if (began != null) feed.origin = began;
        feed.room.load(held, before, began);
        feed.loaded = true;
    }

    /** Hands a message to the room once, in order, after what its history began with. */
    private static void hand(Feed feed, Message message) {
        if (message.id().compareTo(feed.origin) < 0) return; // from before the history began again
        if (feed.last != null && message.id().compareTo(feed.last) <= 0) return;
        if (message.origin() != null && message.origin().compareTo(feed.origin) > 0) began(feed, message.origin());
        feed.room.deliver(message);
        feed.last = message.id();
    }

    /** The read's answer, with the entries this version can read as messages. */
    private static Look look(Room room, List<Object> reply) {
        List<Message> messages = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Object raw : (List<?>) reply.get(4)) {
            List<?> entry = (List<?>) raw;
            String id = (String) entry.get(0);
            List<?> flat = (List<?>) entry.get(1);
            Map<String, String> body = new HashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) body.put((String) flat.get(i), (String) flat.get(i + 1));
            ids.add(id);
            Message message = readable(room, id, body);
            if (message != null) messages.add(message);
        }
        String origin = (String) reply.get(0);
        return new Look(origin.isEmpty() ? null : MessageId.parse(origin), MessageId.parse((String) reply.get(1)),
                MessageId.parse((String) reply.get(2)), ((Long) reply.get(3)) == 1, messages, ids);
    }

    /** A message as the publish script announces it: its id and its stream fields, as JSON. */
    private static Message parse(Room room, String payload) {
        try {
            Map<String, String> fields = JSON.readValue(payload, new TypeReference<Map<String, String>>() { });
            return toMessage(room, fields.get("id"), fields);
        } catch (Exception e) {
            LOG.warn("ignored a live message that is not one on room {}", room.name());
            return null;
        }
    }

    /** A stream entry as a message, or null (and a warning) for one this version cannot read. */
    private static Message readable(Room room, String id, Map<String, String> body) {
        try {
            return toMessage(room, id, body);
        } catch (RuntimeException e) {
            LOG.warn("skipped entry {} of room {}: not a message ({})", id, room.name(), e.toString());
            return null;
        }
    }

    static Message toMessage(Room room, String id, Map<String, String> body) {
        String session = body.getOrDefault("session", "");
        String user = body.getOrDefault("user", "");
        Draft draft = new Draft(body.getOrDefault("from", "?"), user.isEmpty() ? null : user, session.isEmpty() ? null : session,
                body.getOrDefault("text", ""), null, null);
        MessageId messageId = MessageId.parse(id);
        // "" marks the entry that began the stream; no field at all, an entry from before origins.
        String origin = body.get("origin");
        MessageId began = origin == null ? null : origin.isEmpty() ? messageId : MessageId.parse(origin);
        return Message.of(messageId, room.name(), draft, Long.parseLong(body.getOrDefault("ts", "0")), began);
    }

    void stop() {
        thread.shutdownNow();
    }
}
