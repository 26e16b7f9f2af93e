package chorus.redis;

import chorus.hub.Draft;
import chorus.hub.Message;
import chorus.hub.Room;
import chorus.protocol.MessageId;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
    private static final long RETRY_MS = 1_000; // subscriptions not confirmed are asked for again this often
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_HELD = 10_000;

    private final Supplier<StatefulRedisConnection<String, String>> commands;
    private final Supplier<StatefulRedisPubSubConnection<String, String>> pubSub;
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
        boolean loaded; // the room has had its history
        boolean gone; // unfollowed: what is still in flight is dropped
        int reads; // stream reads in flight
        List<Message> held = new ArrayList<>(); // live messages waiting for the reads (and the load)
        MessageId last; // the newest id handed to the room

        Feed(Room room) {
            this.room = room;
        }
    }

    Feeds(Supplier<StatefulRedisConnection<String, String>> commands,
            Supplier<StatefulRedisPubSubConnection<String, String>> pubSub, int historySize, BiConsumer<Room, String> presenceNoticed,
            TaskFailures tasks) {
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
                ? CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected"))
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

    /** The room's newest entries (its first read), or what came after the last one handed over. */
    private void read(Feed feed) {
        if (feed.held == null) feed.held = new ArrayList<>();
        feed.reads++;
        StatefulRedisConnection<String, String> c = commands.get();
        String key = RedisBackend.streamKey(feed.room.name());
        CompletionStage<List<StreamMessage<String, String>>> read;
        boolean load = !feed.loaded;
        if (c == null || !c.isOpen()) {
            read = CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected"));
        } else if (load) {
            read = c.async().xrevrange(key, Range.create("-", "+"), Limit.from(historySize + 1));
        } else {
            Range.Boundary<String> from = feed.last == null ? Range.Boundary.unbounded()
                    : Range.Boundary.excluding(feed.last.toString());
            read = c.async().xrange(key, Range.from(from, Range.Boundary.unbounded()), Limit.from(historySize));
        }
        read.whenComplete((entries, failure) -> thread.execute(() -> onFeed(feed, () -> read(feed, load, entries, failure))));
    }

    private void read(Feed feed, boolean load, List<StreamMessage<String, String>> entries, Throwable failure) {
        feed.reads--;
        if (feed.gone) return;
        if (failure != null) {
            LOG.warn("could not read room {} from Redis: {}", feed.room.name(), failure.toString());
            feed.subscribed = false; // read again once Redis confirms the subscription again
            if (!load) return; // live messages wait for the read that fills the gap before them
            load(feed, List.of()); // joiners wait for the history: give them what can be had now
        } else if (load) {
            load(feed, entries);
        } else {
            for (StreamMessage<String, String> entry : entries) {
                Message message = readable(feed.room, entry);
                if (message != null) hand(feed, message);
            }
            if (entries.size() == historySize) { // a long gap: read on from there
                read(feed);
                return;
            }
        }
        if (feed.reads > 0 || !feed.loaded || feed.held == null) return;
        List<Message> held = feed.held;
        feed.held = null;
        held.forEach(message -> hand(feed, message));
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

    private void load(Feed feed, List<StreamMessage<String, String>> newestFirst) {
        List<StreamMessage<String, String>> newest = new ArrayList<>(newestFirst);
        MessageId before = null;
        if (newest.size() > historySize) before = MessageId.parse(newest.remove(newest.size() - 1).getId());
        Collections.reverse(newest);
        List<Message> held = new ArrayList<>();
        for (StreamMessage<String, String> m : newest) {
            Message message = readable(feed.room, m);
            if (message != null) held.add(message);
        }
        feed.room.load(held, before);
        if (!held.isEmpty()) feed.last = held.get(held.size() - 1).id();
        feed.loaded = true;
    }

    private static void hand(Feed feed, Message message) {
        if (feed.last != null && message.id().compareTo(feed.last) <= 0) return;
        feed.room.deliver(message);
        feed.last = message.id();
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
    private static Message readable(Room room, StreamMessage<String, String> entry) {
        try {
            return toMessage(room, entry.getId(), entry.getBody());
        } catch (RuntimeException e) {
            LOG.warn("skipped entry {} of room {}: not a message ({})", entry.getId(), room.name(), e.toString());
            return null;
        }
    }

    static Message toMessage(Room room, String id, Map<String, String> body) {
        String session = body.getOrDefault("session", "");
        Draft draft = new Draft(body.getOrDefault("from", "?"), session.isEmpty() ? null : session,
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
