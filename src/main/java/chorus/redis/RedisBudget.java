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
 * sorted set by its last write, and under the client address that made it (its maker), whose
 * bytes written are counted. Past the budget (Redis's own used_memory, so its overhead counts too)
 * rooms are dropped whole, in one script: the least recently written room of the maker that wrote
 * the most, so whoever fills Redis loses its own rooms first and a quiet bystander's room goes
 * last. A room dropped begins its history again with its next message: every instance then
 * answers a since from before it with a reset. Rooms idle past their TTL leave the sets as their
 * keys expire.
 */
final class RedisBudget {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBudget.class);
    static final String ROOMS = "chorus:rooms";
    /** Room to the address that made it; room to the bytes written into it; maker to the bytes its rooms were written. */
    static final String ROOM_MAKERS = "chorus:room-makers";
    static final String ROOM_BYTES = "chorus:room-bytes";
    static final String MAKERS = "chorus:makers";
    /** Followed by a maker: its rooms by their last write. */
    static final String ROOMS_OF = "chorus:rooms-of:";

    /** In the publish script: the room written (KEYS[5..8] as {@link #keys()}, ARGV[6] now, ARGV[9] room, ARGV[11] maker, ARGV[12] size). */
    static final String ATTRIBUTE = """
            redis.call('ZADD', KEYS[5], ARGV[6], ARGV[9])
            local maker = redis.call('HGET', KEYS[6], ARGV[9])
            if not maker then
              maker = ARGV[11]
              redis.call('HSET', KEYS[6], ARGV[9], maker)
            end
            redis.call('HINCRBY', KEYS[7], ARGV[9], ARGV[12])
            redis.call('ZINCRBY', KEYS[8], ARGV[12], maker)
            redis.call('ZADD', '""" + ROOMS_OF + """
            ' .. maker, ARGV[6], ARGV[9])
            """;

    static String[] keys() {
        return new String[] {ROOMS, ROOM_MAKERS, ROOM_BYTES, MAKERS};
    }
    private static final int MAX_SHED = 100; // rooms dropped per look: the script stays short

    private static final String SHED = """
            local function forget(room)
              local maker = redis.call('HGET', KEYS[2], room)
              local bytes = tonumber(redis.call('HGET', KEYS[3], room) or '0')
              if maker then
                if tonumber(redis.call('ZINCRBY', KEYS[4], -bytes, maker)) <= 0 then redis.call('ZREM', KEYS[4], maker) end
                redis.call('ZREM', '""" + ROOMS_OF + """
            ' .. maker, room)
              end
              redis.call('HDEL', KEYS[2], room)
              redis.call('HDEL', KEYS[3], room)
              redis.call('ZREM', KEYS[1], room)
            end
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]), 'LIMIT', 0, 1000)
            for _, room in ipairs(expired) do forget(room) end
            local function used()
              return tonumber(string.match(redis.call('INFO', 'memory'), 'used_memory:(%d+)'))
            end
            local shed = {}
            while #shed < tonumber(ARGV[4]) and used() > tonumber(ARGV[1]) do
              local room
              local top = redis.call('ZREVRANGE', KEYS[4], 0, 0)
              if #top > 0 then
                room = redis.call('ZRANGE', '""" + ROOMS_OF + """
            ' .. top[1], 0, 0)[1]
                if not room then redis.call('ZREM', KEYS[4], top[1]) end
              else
                room = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
                if not room then break end
              end
              if room then
                for i = 5, #ARGV do redis.call('DEL', 'chorus:{' .. room .. '}:' .. ARGV[i]) end
                redis.call('PUBLISH', 'CHANNEL' .. room, 'FORGOTTEN') -- its epoch is gone: every instance drops what it held
                forget(room)
                shed[#shed + 1] = room
              end
            end
            return {used(), shed}
            """.replace("CHANNEL", Feeds.channel("")).replace("FORGOTTEN", Feeds.FORGOTTEN_NOTICE);

    private final Supplier<StatefulRedisConnection<String, String>> commands;
    private final long maxBytes;
    private final Duration roomTtl;
    private final List<String> roomParts;
    private final AtomicLong used = new AtomicLong(); // as last seen; written by Lettuce's thread, read by /metrics
    private final Counter shed;

    RedisBudget(Supplier<StatefulRedisConnection<String, String>> commands, long maxBytes, Duration roomTtl,
            List<String> roomParts, MeterRegistry registry) {
        this.commands = commands;
        this.maxBytes = maxBytes;
        this.roomTtl = roomTtl;
        this.roomParts = roomParts;
        Gauge.builder("chorus_redis_used_bytes", used, AtomicLong::get)
                .description("Redis's used_memory as last seen by this instance").register(registry);
        this.shed = Counter.builder("chorus_redis_rooms_shed_total")
                .description("rooms dropped from Redis to stay within REDIS_MAX_BYTES: those of the address that wrote the most first")
                .register(registry);
    }

    /** Looks at Redis's memory and sheds rooms past the budget; asynchronous, so it never waits on Redis. */
    void enforce() {
        StatefulRedisConnection<String, String> c = commands.get();
        if (c == null || !c.isOpen()) return;
        String[] args = new String[4 + roomParts.size()];
        args[0] = String.valueOf(maxBytes);
        args[1] = String.valueOf(System.currentTimeMillis());
        args[2] = String.valueOf(roomTtl.toMillis());
        args[3] = String.valueOf(MAX_SHED);
        for (int i = 0; i < roomParts.size(); i++) args[4 + i] = roomParts.get(i);
        c.async().<List<Object>>eval(SHED, ScriptOutputType.MULTI, keys(), args).whenComplete((reply, failure) -> {
            if (failure != null) return; // Redis's health is judged by the beat and by publishing
            used.set((Long) reply.get(0));
            List<?> rooms = (List<?>) reply.get(1);
            if (rooms.isEmpty()) return;
            shed.increment(rooms.size());
            LOG.warn("Redis holds more than REDIS_MAX_BYTES ({}): dropped {} room(s) of the addresses that wrote the most, {}",
                    maxBytes, rooms.size(), rooms.size() <= 5 ? rooms : rooms.subList(0, 5) + "…");
        });
    }
}
