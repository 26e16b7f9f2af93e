package chorus.redis;

import chorus.hub.Draft;
import chorus.hub.Message;
import chorus.hub.Room;
import chorus.protocol.MessageId;
import chorus.tasks.TaskFailures;
import chorus.tasks.Threads;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the rooms this instance follows hear from Redis. Every room has an epoch and a contiguous
 * offset (the publish script numbers each message), so continuity is a comparison: a message
 * whose offset is the last one handed over plus one goes to the room; one further on means some
 * were missed, and the stream is read from the last one on; one of another epoch means the room's
 * history began again (Redis lost it, shed it, or it was deleted), and the room tells its members
 * so. A read that finds the stream no longer holding what was missed tells the members they have
 * a gap. Live messages come by pub/sub and wait while a read is in flight, so a room gets every
 * message once and in order. One thread does all of it.
 */
final class Feeds {
    private static final Logger LOG = LoggerFactory.getLogger(Feeds.class);
    /** Begins what an instance says on a room's channel when its members of it changed (see {@link Presence}). */
    static final String PRESENCE_NOTICE = "presence:";
    /** An ephemeral frame for the room's members (someone typing), after this prefix; never in the stream. */
    static final String EPHEMERAL_NOTICE = "ephemeral:";
    /** What is said on a room's channel when its history was dropped (shed, deleted): its epoch is gone. */
    static final String FORGOTTEN_NOTICE = "forgotten";
    private static final int PAGE = 1_000; // entries per read while catching up
    private static final long RETRY_MS = 1_000; // subscriptions not confirmed are asked for again this often
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HELD = 10_000;

    private final Supplier<Commands> commands;
    private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSub;
    private final Link link;
    private final int historySize;
    private final BiConsumer<Room, String> presenceNoticed; // with the notice, or null when one may have been missed
    private final Map<String, Feed> feeds = new HashMap<>(); // by channel; only on the thread
    private final TaskFailures tasks;
    private final ScheduledExecutorService thread;

    /** One followed room. */
    private static final class Feed {
        final Room room;
        boolean subscribed; // confirmed since the pub/sub connection was last lost
        boolean subscribing;
        String node; // where it was subscribed: the owner of its channel then ("" on one node)
        boolean loaded; // the room has had its history
        boolean gone; // unfollowed: what is still in flight is dropped
        int reads; // stream reads in flight
        List<Message> held = new ArrayList<>(); // live messages waiting for the reads (and the load)
        long epoch; // of the room's history as this feed knows it; 0: none yet
        long last; // the offset last handed to the room (0: none in this epoch)

        Feed(Room room) {
            this.room = room;
        }
    }

    Feeds(Supplier<Commands> commands, Supplier<StatefulRedisPubSubConnection<String, String>> pubSub, Link link, int historySize,
            BiConsumer<Room, String> presenceNoticed, TaskFailures tasks) {
        this.tasks = tasks;
        this.thread = tasks.thread("chorus-redis-feeds", "redis-feed");
        this.commands = commands;
        this.pubSub = pubSub;
        this.link = link;
        this.historySize = historySize;
        this.presenceNoticed = presenceNoticed;
        thread.scheduleWithFixedDelay(this::resubscribe, RETRY_MS, RETRY_MS, TimeUnit.MILLISECONDS);
    }

    /** A room's channel, a shard channel under its hash tag: on its keys' shard in a cluster. */
    static String channel(String room) {
        return RedisBackend.key(room, "live");
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
            if (c != null && c.isOpen()) link.unsubscribe(c, channel);
        });
    }

    /** From the pub/sub connection: a room's channel carried a message or a notice. */
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
        if (payload.startsWith(EPHEMERAL_NOTICE)) {
            feed.room.ephemeral(ByteBuffer.wrap(payload.substring(EPHEMERAL_NOTICE.length()).getBytes(StandardCharsets.UTF_8)));
            return;
        }
        if (payload.equals(FORGOTTEN_NOTICE)) { // dropped, or its epoch ended: read what follows, if anything
            if (!feed.loaded) return; // its load reads the room as it is now
            epochOver(feed, 0);
            read(feed);
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

    /** Redis ended a subscription (its slot moved to another shard): it is made again where it now is. */
    void unsubscribed(String channel) {
        thread.execute(() -> {
            Feed feed = feeds.get(channel);
            if (feed != null) feed.subscribed = false;
        });
    }

    private void subscribe(Feed feed) {
        StatefulRedisPubSubConnection<String, String> c = pubSub.get();
        String channel = channel(feed.room.name());
        CompletionStage<Void> asked = c == null || !c.isOpen() ? RedisBackend.<Void>notConnected() : link.subscribe(c, channel);
        feed.subscribing = true;
        feed.node = link.owner(channel);
        asked.whenComplete((ok, failure) -> thread.execute(() -> {
            feed.subscribing = false;
            // Joiners wait for the history: give them what can be had now, and subscribe later.
            if (failure != null && !feed.loaded && feed.reads == 0 && !feed.gone) read(feed);
        }));
    }

    /**
     * Asks again for the subscriptions Redis has not confirmed (it was unreachable, or hung), and
     * for those on a node that no longer owns their channel (a failover in a cluster): the
     * confirmation makes the room read what it missed from its log.
     */
    private void resubscribe() {
        for (Feed feed : feeds.values()) {
            if (feed.subscribed && !Objects.equals(feed.node, link.owner(channel(feed.room.name())))) feed.subscribed = false;
            if (!feed.subscribed && !feed.subscribing) subscribe(feed);
        }
    }

    /**
     * One look at a room, in one step on Redis: its epoch and last offset (the meta hash), the
     * offset of the oldest entry its stream still holds, and entries: ARGV[1] "" for the newest
     * (newest first), or an offset for those after it, at most ARGV[2].
     */
    private static final String READ = """
            local epoch = redis.call('HGET', KEYS[2], 'epoch') or '0'
            local offset = redis.call('HGET', KEYS[2], 'offset') or '0'
            local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
            local first = #oldest == 0 and '0' or string.match(oldest[1][1], '^(%d+)')
            if ARGV[1] == '' then
              return {epoch, offset, first, redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2])}
            end
            return {epoch, offset, first, redis.call('XRANGE', KEYS[1], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', ARGV[2])}
            """;

    /** What {@link #READ} answered; entries in the order read, each with its offset (its message null if unreadable). */
    private record Look(long epoch, long offset, long first, List<Entry> entries) {
    }

    private record Entry(long offset, Message message) {
    }

    /** The room's newest entries (its first read), or what came after the last one handed over; in pages. */
    private void read(Feed feed) {
        if (feed.held == null) feed.held = new ArrayList<>();
        feed.reads++;
        Commands c = commands.get();
        boolean load = !feed.loaded;
        CompletionStage<List<Object>> read;
        if (c == null || !c.isOpen()) {
            read = RedisBackend.notConnected();
        } else {
            read = c.async().eval(READ, ScriptOutputType.MULTI, RedisBackend.roomKeys(feed.room.name()),
                    load ? "" : String.valueOf(feed.last), String.valueOf(load ? historySize + 1 : PAGE));
        }
        read.whenComplete((reply, failure) -> thread.execute(() -> onFeed(feed, () -> read(feed, load, reply, failure))));
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
            return; // another read is under way
        }
        if (feed.reads > 0 || !feed.loaded || feed.held == null) return;
        List<Message> held = feed.held;
        feed.held = null;
        for (Message message : held) {
            if (feed.held != null) feed.held.add(message); // a gap started another read: the rest wait for it too
            else hand(feed, message);
        }
    }

    /**
     * Hands over what a read after the last offset found, by comparison: another epoch means the
     * history began again; a stream whose oldest entry is past the next offset no longer holds what
     * was missed (the members hear of the gap). False while more is to be read.
     */
    private boolean caughtUp(Feed feed, Look look) {
        if (look.epoch() != feed.epoch) {
            epochOver(feed, look.epoch());
            if (look.epoch() == 0) return true; // nothing is held: the next message begins the next epoch
            read(feed);
            return false;
        }
        if (look.offset() < feed.last) { // Redis went back (a replica promoted without the last writes)
            LOG.warn("Redis holds room {} up to {} of epoch {}, but {} was delivered: its history begins again",
                    feed.room.name(), look.offset(), feed.epoch, feed.last);
            endEpoch(feed, feed.epoch);
            return false;
        }
        if (!look.entries().isEmpty() && look.first() > feed.last + 1) {
            feed.room.gap(new MessageId(feed.epoch, look.first()));
            feed.last = look.first() - 1;
        }
        for (Entry entry : look.entries()) {
            if (entry.message() != null) hand(feed, entry.message());
            else if (entry.offset() == feed.last + 1) feed.last = entry.offset(); // skipped, and not missed
        }
        if (look.entries().size() == PAGE) { // more than a page behind: read on from there
            read(feed);
            return false;
        }
        return true;
    }

    /**
     * Ends an epoch in Redis (unless another did first) so that no offset of it is given twice:
     * Redis went back to before offsets it had already given (a failover that lost writes, an
     * older snapshot), as this instance or a client's since proves. What the log still holds is
     * the new epoch's history, under the same offsets; every instance hears it
     * ({@link #FORGOTTEN_NOTICE}), tells its members (a reset), and hands them that history again.
     */
    private static final String END_EPOCH = """
            local epoch = redis.call('HGET', KEYS[2], 'epoch')
            if epoch == ARGV[1] then
              epoch = tostring(math.max(tonumber(ARGV[2]), tonumber(ARGV[1]) + 1))
              redis.call('HSET', KEYS[2], 'epoch', epoch, 'writer', string.match(redis.call('INFO', 'server'), 'run_id:(%x+)'))
              redis.call('SPUBLISH', ARGV[3], ARGV[4])
            end
            return epoch or '0'
            """;

    /** A client's since shows Redis went back in this room's epoch: it ends, everywhere. */
    void aheadOf(Room room, long epoch) {
        thread.execute(() -> {
            Feed feed = feeds.get(channel(room.name()));
            if (feed != null && feed.room == room && feed.epoch == epoch) onFeed(feed, () -> endEpoch(feed, epoch));
        });
    }

    private void endEpoch(Feed feed, long epoch) {
        feed.reads++;
        Commands c = commands.get();
        CompletionStage<String> ended = c == null || !c.isOpen() ? RedisBackend.notConnected()
                : c.async().eval(END_EPOCH, ScriptOutputType.VALUE, RedisBackend.roomKeys(feed.room.name()), String.valueOf(epoch),
                        String.valueOf(System.currentTimeMillis()), channel(feed.room.name()), FORGOTTEN_NOTICE);
        ended.whenComplete((now, failure) -> thread.execute(() -> onFeed(feed, () -> {
            feed.reads--;
            if (feed.gone) return;
            if (failure != null) {
                feed.subscribed = false; // the next subscription reads, and finds it again
                return;
            }
            epochOver(feed, Long.parseLong(now));
            read(feed); // whatever was published since it began
        })));
    }

    /**
     * The room's history as this feed knew it is over: another epoch began (or none is held now,
     * 0). The room drops what it held and tells its members, who may have seen what is gone.
     */
    private static void epochOver(Feed feed, long epoch) {
        feed.epoch = epoch;
        feed.last = 0;
        feed.room.rebase(new MessageId(epoch, 0));
    }

    /**
     * Runs one step of a feed. If it throws (a room's load or delivery), the feed is put back to
     * "not subscribed", with live messages held: the next resubscription reads the stream from the
     * last offset handed over, so nothing is lost or doubled, and live delivery resumes after it.
     */
    /** Every step of a feed, on the feeds' thread: one room's channel is handled in order. */
    private void onFeed(Feed feed, Runnable step) {
        assert Threads.FEED.current() : Thread.currentThread().getName();
        try {
            step.run();
        } catch (RuntimeException e) {
            tasks.failed("redis-feed", e);
            feed.subscribed = false;
            if (feed.held == null) feed.held = new ArrayList<>();
        }
    }

    /** The room's first read (null: none could be had): its history, and where its offsets stand. */
    private void load(Feed feed, Look look) {
        List<Message> held = new ArrayList<>();
        MessageId before = null;
        MessageId began = null;
        if (look != null) {
            feed.epoch = look.epoch();
            feed.last = look.offset();
            began = new MessageId(look.epoch(), 0);
            List<Entry> newest = new ArrayList<>(look.entries());
            if (newest.size() > historySize) before = new MessageId(look.epoch(), newest.remove(newest.size() - 1).offset());
            for (Entry entry : newest) if (entry.message() != null) held.add(entry.message());
            Collections.reverse(held);
            if (before == null && look.first() > 1) before = new MessageId(look.epoch(), look.first() - 1);
        }
        feed.room.load(held, before, began);
        feed.loaded = true;
    }

    /** Hands a message to the room once, in order: the next offset of the epoch, or a read of what was missed first. */
    private void hand(Feed feed, Message message) {
        MessageId id = message.id();
        if (id.epoch() != feed.epoch) epochOver(feed, id.epoch());
        if (id.seq() <= feed.last) return;
        if (id.seq() > feed.last + 1) { // missed some: they come from the log, then this one
            if (feed.held == null) feed.held = new ArrayList<>();
            feed.held.add(message);
            read(feed);
            return;
        }
        feed.room.deliver(message);
        feed.last = id.seq();
    }

    /** The read's answer, with the entries this version can read as messages. */
    private static Look look(Room room, List<Object> reply) {
        List<Entry> entries = new ArrayList<>();
        long epoch = Long.parseLong((String) reply.get(0));
        for (Object raw : (List<?>) reply.get(3)) {
            List<?> entry = (List<?>) raw;
            String id = (String) entry.get(0);
            long offset = Long.parseLong(id.substring(0, id.indexOf('-')));
            List<?> flat = (List<?>) entry.get(1);
            Map<String, String> body = new HashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) body.put((String) flat.get(i), (String) flat.get(i + 1));
            entries.add(new Entry(offset, readable(room, epoch, offset, body)));
        }
        return new Look(epoch, Long.parseLong((String) reply.get(1)), Long.parseLong((String) reply.get(2)), entries);
    }

    /** A message as the publish script announces it: its epoch, offset and fields, as JSON. */
    private static Message parse(Room room, String payload) {
        try {
            Map<String, String> fields = JSON.readValue(payload, new TypeReference<Map<String, String>>() { });
            return toMessage(room, Long.parseLong(fields.get("epoch")), Long.parseLong(fields.get("offset")), fields);
        } catch (Exception e) {
            LOG.warn("ignored a live message that is not one on room {}", room.name());
            return null;
        }
    }

    /** A stream entry as a message, or null (and a warning) for one this version cannot read. */
    private static Message readable(Room room, long epoch, long offset, Map<String, String> body) {
        try {
            return toMessage(room, epoch, offset, body);
        } catch (RuntimeException e) {
            LOG.warn("skipped entry {} of room {}: not a message ({})", offset, room.name(), e.toString());
            return null;
        }
    }

    static Message toMessage(Room room, long epoch, long offset, Map<String, String> body) {
        String session = body.getOrDefault("session", "");
        String user = body.getOrDefault("user", "");
        Draft draft = new Draft(body.getOrDefault("from", "?"), user.isEmpty() ? null : user, session.isEmpty() ? null : session,
                body.getOrDefault("text", ""), null, null);
        return Message.of(new MessageId(epoch, offset), room.name(), draft, Long.parseLong(body.getOrDefault("ts", "0")));
    }

    void stop() {
        thread.shutdownNow();
    }
}
