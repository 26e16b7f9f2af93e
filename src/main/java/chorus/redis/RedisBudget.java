package chorus.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what Chorus holds in Redis under {@code REDIS_MAX_BYTES}: every room written to is in one
 * sorted set by its last write, and past the budget (Redis's own used_memory, so its overhead
 * counts too) the least recently written rooms are dropped whole, in one script, oldest first.
 * A room dropped begins its history again with its next message: every instance then answers a
 * since from before it with a reset. Rooms idle past their TTL leave the set as their keys expire.
 */
final class RedisBudget {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBudget.class);
    static final String ROOMS = "chorus:rooms";
    private static final int MAX_SHED = 100; // rooms dropped per look: the script stays short

    private static final String SHED = """
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
            local function used()
              return tonumber(string.match(redis.call('INFO', 'memory'), 'used_memory:(%d+)'))
            end
            local shed = {}
            while #shed < tonumber(ARGV[4]) and used() > tonumber(ARGV[1]) do
              local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
              if #oldest == 0 then break end
              local room = oldest[1]
              for i = 5, #ARGV do redis.call('DEL', ARGV[i] .. room) end
              redis.call('ZREM', KEYS[1], room)
              shed[#shed + 1] = room
            end
            return {used(), shed}
            """;

    private final Supplier<StatefulRedisConnection<String, String>> commands;
    private final long maxBytes;
    private final Duration roomTtl;
    private final List<String> roomKeyPrefixes;
    private final AtomicLong used = new AtomicLong(); // as last seen; written by Lettuce's thread, read by /metrics
    private final Counter shed;

    RedisBudget(Supplier<StatefulRedisConnection<String, String>> commands, long maxBytes, Duration roomTtl,
            List<String> roomKeyPrefixes, MeterRegistry registry) {
        this.commands = commands;
        this.maxBytes = maxBytes;
        this.roomTtl = roomTtl;
        this.roomKeyPrefixes = roomKeyPrefixes;
        Gauge.builder("chorus_redis_used_bytes", used, AtomicLong::get)
                .description("Redis's used_memory as last seen by this instance").register(registry);
        this.shed = Counter.builder("chorus_redis_rooms_shed_total")
                .description("rooms dropped from Redis, least recently written first, to stay within REDIS_MAX_BYTES")
                .register(registry);
    }

    /** Looks at Redis's memory and sheds rooms past the budget; asynchronous, so it never waits on Redis. */
    void enforce() {
        StatefulRedisConnection<String, String> c = commands.get();
        if (c == null || !c.isOpen()) return;
        String[] args = new String[4 + roomKeyPrefixes.size()];
        args[0] = String.valueOf(maxBytes);
        args[1] = String.valueOf(System.currentTimeMillis());
        args[2] = String.valueOf(roomTtl.toMillis());
        args[3] = String.valueOf(MAX_SHED);
        for (int i = 0; i < roomKeyPrefixes.size(); i++) args[4 + i] = roomKeyPrefixes.get(i);
        c.async().<List<Object>>eval(SHED, ScriptOutputType.MULTI, new String[] {ROOMS}, args).whenComplete((reply, failure) -> {
            if (failure != null) return; // Redis's health is judged by the beat and by publishing
            used.set((Long) reply.get(0));
            List<?> rooms = (List<?>) reply.get(1);
            if (rooms.isEmpty()) return;
            shed.increment(rooms.size());
            LOG.warn("Redis holds more than REDIS_MAX_BYTES ({}): dropped the {} least recently written room(s), {}",
                    maxBytes, rooms.size(), rooms.size() <= 5 ? rooms : rooms.subList(0, 5) + "…");
        });
    }
}
