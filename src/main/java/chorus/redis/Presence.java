package chorus.redis;

import chorus.hub.Room;
import chorus.protocol.Shown;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in a room across instances, at a cost that follows changes, not rooms. Each instance
 * keeps one heartbeat key alive ({@link #beat}, every second; it lapses {@link #STALE_MS} after
 * the instance stops). Its names in a room are a field of the room's hash, written only when they
 * change, with a notice on the room's channel; whoever hears the notice reads the hash, keeping
 * the fields of live instances and deleting the others. The instances seen in rooms are checked
 * at each beat, so one that died without cleaning up leaves the lists it was in.
 *
 * <p>All of it runs on one thread (the backend's housekeeping thread), which owns the state here.
 */
final class Presence {
    private static final Logger LOG = LoggerFactory.getLogger(Presence.class);
    static final long STALE_MS = 15_000; // well inside the "about 30 s" an operator may expect
    private static final String SUFFIX = ":presence"; // after the room's hash tag: on its shard
    private static final String INSTANCE_PREFIX = "chorus:instance:";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Shown>> NAMES = new TypeReference<>() { };

    private final String instance = Long.toString(System.nanoTime() ^ Double.doubleToLongBits(Math.random()), 36);
    private final String ownNotice = Feeds.PRESENCE_NOTICE + instance;
    private final Supplier<Commands> connection;
    private final ScheduledExecutorService thread;
    private final Set<Room> rooms = new HashSet<>();
    private final Map<Room, Map<String, List<Shown>>> others = new HashMap<>(); // per room, by instance
    private final Set<Room> noticed = new HashSet<>(); // reads asked for and not yet done
    private final Set<Room> unwritten = new HashSet<>(); // writes that failed: made again at the next beat
    private boolean beaten; // the heartbeat key was written at least once

    Presence(Supplier<Commands> connection, ScheduledExecutorService thread) {
        this.connection = connection;
        this.thread = thread;
    }

    static String key(String room) {
        return RedisBackend.key(room, "presence");
    }

    void follow(Room room) {
        thread.execute(() -> rooms.add(room));
    }

    void unfollow(Room room) {
        thread.execute(() -> {
            if (!rooms.remove(room)) return;
            others.remove(room);
            write(room, List.of());
        });
    }

    /** This instance's names in a room changed: the others hear of it now. */
    void publish(Room room, List<Shown> localNames) {
        thread.execute(() -> {
            if (rooms.contains(room)) write(room, localNames);
        });
    }

    /**
     * Another instance's names in a room changed (its notice), or may have (null): read them,
     * once per burst. This instance's own notices are what it wrote itself.
     */
    void noticed(Room room, String notice) {
        if (notice != null && notice.equals(ownNotice)) return;
        thread.execute(() -> {
            if (noticed.add(room)) thread.execute(() -> {
                noticed.remove(room);
                if (rooms.contains(room)) read(room);
            });
        });
    }

    /**
     * Keeps this instance alive in others' eyes and drops the instances that died; throws when
     * Redis does not answer. When the heartbeat had lapsed (Redis hung, or lost its data), others
     * may have deleted this instance's names, so it writes them all again.
     */
    void beat() {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) throw new IllegalStateException("Redis is not connected");
        String was = c.sync().setGet(INSTANCE_PREFIX + instance, "1", SetArgs.Builder.px(STALE_MS));
        if (was == null && beaten) {
            LOG.info("presence had lapsed on Redis: writing this instance's {} rooms again", rooms.size());
            for (Room room : rooms) write(room, room.localNames());
        }
        beaten = true;
        if (!unwritten.isEmpty()) {
            List<Room> again = List.copyOf(unwritten);
            unwritten.clear();
            for (Room room : again) if (rooms.contains(room)) write(room, room.localNames());
        }
        Set<String> seen = new HashSet<>();
        others.values().forEach(fields -> seen.addAll(fields.keySet()));
        if (seen.isEmpty()) return;
        List<String> ids = List.copyOf(seen);
        List<KeyValue<String, String>> beats = c.sync().mget(ids.stream().map(id -> INSTANCE_PREFIX + id).toArray(String[]::new));
        Set<String> dead = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) if (!beats.get(i).hasValue()) dead.add(ids.get(i));
        if (dead.isEmpty()) return;
        for (Room room : List.copyOf(others.keySet())) {
            if (others.get(room).keySet().stream().anyMatch(dead::contains)) read(room);
        }
    }

    /** Writes this instance's names in a room; one that fails is written again at the next beat. */
    private void write(Room room, List<Shown> names) {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) { // written again when the heartbeat finds it lapsed, or at the next beat
            unwritten.add(room);
            return;
        }
        try {
            CompletionStage<?> written = names.isEmpty() ? c.async().hdel(key(room.name()), instance)
                    : c.async().hset(key(room.name()), instance, JSON.writeValueAsString(names));
            written.thenCompose(done -> c.async().spublish(Feeds.channel(room.name()), ownNotice)).whenComplete((heard, failure) -> {
                if (failure != null) thread.execute(() -> unwritten.add(room));
            });
        } catch (Exception e) {
            LOG.debug("presence of {} not written: {}", room.name(), e.toString());
            unwritten.add(room);
        }
    }

    private void read(Room room) {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return;
        try {
            Map<String, List<Shown>> fields = live(c, key(room.name()));
            others.put(room, fields);
            room.remotePresence(fields.values().stream().flatMap(List::stream).toList());
        } catch (RuntimeException e) {
            LOG.debug("presence of {} not read: {}", room.name(), e.toString());
        }
    }

    /**
     * Other live instances' names in one presence hash, by instance; the fields of instances whose
     * heartbeat lapsed are deleted (the heartbeats are on other shards of a cluster: read apart).
     */
    private Map<String, List<Shown>> live(Commands c, String key) {
        Map<String, String> all = c.sync().hgetall(key);
        if (all.isEmpty()) return new TreeMap<>();
        List<String> ids = List.copyOf(all.keySet());
        List<KeyValue<String, String>> beats = c.sync().mget(ids.stream().map(id -> INSTANCE_PREFIX + id).toArray(String[]::new));
        Map<String, List<Shown>> fields = new TreeMap<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            if (!beats.get(i).hasValue()) {
                c.async().hdel(key, id);
            } else if (!id.equals(instance)) {
                try {
                    fields.put(id, JSON.readValue(all.get(id), NAMES));
                } catch (Exception e) {
                    c.async().hdel(key, id); // not a list of names: from another version
                }
            }
        }
        return fields;
    }

    /** Rooms with members on other instances, and how many, from every room's presence hash. */
    Map<String, Integer> elsewhere() {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) throw new IllegalStateException("Redis is not connected");
        Map<String, Integer> found = new TreeMap<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("scan cancelled");
            KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.matches("chorus:{*}" + SUFFIX).limit(500));
            for (String key : page.getKeys()) {
                int n = live(c, key).values().stream().mapToInt(List::size).sum();
                if (n > 0) found.put(key.substring("chorus:{".length(), key.length() - SUFFIX.length() - 1), n);
            }
            cursor = page;
        } while (!cursor.isFinished());
        return found;
    }

    /** Leaves every room without waiting for Redis: what is left behind lapses with the heartbeat anyway. */
    void stop() {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return;
        for (Room room : rooms) write(room, List.of());
        c.async().del(INSTANCE_PREFIX + instance);
    }
}
