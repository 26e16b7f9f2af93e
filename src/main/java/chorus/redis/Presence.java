package chorus.redis;

import chorus.hub.Room;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in a room across instances: a hash "chorus:presence:{room}" with one field per instance,
 * {"at": ms, "names": [...]}. Each instance rewrites its own field every second and reads the
 * others'; a field not rewritten for {@link #STALE_MS} belongs to an instance that died without
 * cleaning up, and is ignored and removed.
 */
final class Presence {
    private static final Logger LOG = LoggerFactory.getLogger(Presence.class);
    private static final long REFRESH_MS = 1_000;
    static final long STALE_MS = 15_000; // well inside the "about 30 s" an operator may expect
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String instance = Long.toString(System.nanoTime() ^ Double.doubleToLongBits(Math.random()), 36);
    private final Supplier<StatefulRedisConnection<String, String>> connection;
    private final Set<Room> rooms = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chorus-redis-presence");
        t.setDaemon(true);
        return t;
    });

    Presence(Supplier<StatefulRedisConnection<String, String>> connection) {
        this.connection = connection;
        timer.scheduleWithFixedDelay(this::refresh, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
    }

    private static final String PREFIX = "chorus:presence:";

    static String key(String room) {
        return PREFIX + room;
    }

    private static String key(Room room) {
        return key(room.name());
    }

    /** Rooms with members on other instances, and how many, from every room's presence hash. */
    Map<String, Integer> elsewhere() {
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) throw new IllegalStateException("Redis is not connected");
        Map<String, Integer> rooms = new java.util.TreeMap<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = c.sync().scan(cursor, ScanArgs.Builder.matches(PREFIX + "*").limit(500));
            for (String key : page.getKeys()) {
                int n = others(c, key).size();
                if (n > 0) rooms.put(key.substring(PREFIX.length()), n);
            }
            cursor = page;
        } while (!cursor.isFinished());
        return rooms;
    }

    void follow(Room room) {
        rooms.add(room);
    }

    void unfollow(Room room) {
        rooms.remove(room);
        timer.execute(() -> write(room, List.of()));
    }

    /** This instance's names changed: write them now, so the others see it at their next read. */
    void publish(Room room, List<String> localNames) {
        timer.execute(() -> write(room, localNames));
    }

    private void refresh() {
        for (Room room : rooms) {
            try {
                write(room, room.localNames());
                room.remotePresence(readOthers(room));
            } catch (RuntimeException e) {
                LOG.debug("presence of {} not refreshed: {}", room.name(), e.toString());
            }
        }
    }

    private void write(Room room, List<String> names) {
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) return;
        try {
            if (names.isEmpty()) {
                c.sync().hdel(key(room), instance);
            } else {
                String value = JSON.writeValueAsString(Map.of("at", System.currentTimeMillis(), "names", names));
                c.sync().hset(key(room), instance, value);
                c.sync().pexpire(key(room), 4 * STALE_MS);
            }
        } catch (Exception e) {
            LOG.debug("presence of {} not written: {}", room.name(), e.toString());
        }
    }

    private List<String> readOthers(Room room) {
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) return List.of();
        return others(c, key(room));
    }

    /** The names other live instances list in one presence hash; stale fields are removed. */
    private List<String> others(StatefulRedisConnection<String, String> c, String key) {
        List<String> names = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Map.Entry<String, String> field : c.sync().hgetall(key).entrySet()) {
            if (field.getKey().equals(instance)) continue;
            try {
                JsonNode value = JSON.readTree(field.getValue());
                if (now - value.path("at").asLong() > STALE_MS) {
                    c.async().hdel(key, field.getKey()); // an instance that died without cleaning up
                    continue;
                }
                value.path("names").forEach(n -> names.add(n.asText()));
            } catch (Exception e) {
                c.async().hdel(key, field.getKey());
            }
        }
        return names;
    }

    /** Leaves every room without waiting: a field left behind goes stale within STALE_MS anyway. */
    void stop() {
        timer.shutdownNow();
        StatefulRedisConnection<String, String> c = connection.get();
        if (c == null || !c.isOpen()) return;
        for (Room room : rooms) c.async().hdel(key(room), instance);
    }
}
