package chorus.redis;

import io.lettuce.core.ScriptOutputType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what Chorus holds in Redis under {@code REDIS_MAX_BYTES}: every room written to is in one
 * sorted set by its last write, and under the client address that made it (its maker), whose
 * bytes written are counted. Past the budget (Redis's own used_memory, so its overhead counts too;
 * in a cluster, that of all primaries together) rooms are dropped whole: one script chooses the
 * least recently written rooms of the maker that wrote the most, so whoever fills Redis loses its
 * own rooms first and a quiet bystander's room goes last, one at a time until Redis is under the
 * budget again; each one's keys are deleted on its shard, followed by a notice on its channel. A
 * room dropped begins its history again with its next message: every instance then
 * answers a since from before it with a reset. Rooms idle past their TTL leave the sets as their
 * keys expire.
 */
final class RedisBudget {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBudget.class);
    /** Every key here is under one hash tag, so in a cluster its scripts run on one shard. */
    private static final String PREFIX = "chorus:{budget}:";
    static final String ROOMS = PREFIX + "rooms";
    /** Room to the address that made it; room to the bytes written into it; maker to the bytes its rooms were written. */
    static final String ROOM_MAKERS = PREFIX + "room-makers";
    static final String ROOM_BYTES = PREFIX + "room-bytes";
    static final String MAKERS = PREFIX + "makers";
    /** Followed by a maker: its rooms by their last write. */
    static final String ROOMS_OF = PREFIX + "rooms-of:";
    private static final String[] KEYS = {ROOMS, ROOM_MAKERS, ROOM_BYTES, MAKERS};

    /**
     * After each publish: the room written (ARGV[1] now, ARGV[2] room, ARGV[3] maker, ARGV[4] size).
     * A step apart from the publish, since a room's keys and these are on different shards of a
     * cluster; what it counts only decides whose rooms go first.
     */
    private static final String ATTRIBUTE = """
            redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
            local maker = redis.call('HGET', KEYS[2], ARGV[2])
            if not maker then
              maker = ARGV[3]
              redis.call('HSET', KEYS[2], ARGV[2], maker)
            end
            redis.call('HINCRBY', KEYS[3], ARGV[2], ARGV[4])
            redis.call('ZINCRBY', KEYS[4], ARGV[4], maker)
            redis.call('ZADD', '""" + ROOMS_OF + """
            ' .. maker, ARGV[1], ARGV[2])
            """;

    private static final int MAX_SHED = 100; // rooms dropped per look: the script stays short

    /**
     * Forgets rooms idle past their TTL (their keys expired); then, when ARGV[1] is 1 (Redis is
     * over the budget), chooses one room to drop and forgets it here: the least recently written
     * room of the maker whose rooms were written the most. Its keys are deleted by the caller, on
     * their own shard, and Redis's memory looked at again before the next.
     */
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
            if ARGV[1] ~= '1' then return {} end
            while true do
              local room
              local top = redis.call('ZREVRANGE', KEYS[4], 0, 0)
              if #top > 0 then
                room = redis.call('ZRANGE', '""" + ROOMS_OF + """
            ' .. top[1], 0, 0)[1]
                if not room then redis.call('ZREM', KEYS[4], top[1]) end
              else
                room = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
                if not room then return {} end
              end
              if room then
                forget(room)
                return {room}
              end
            end
            """;


    private final Supplier<Commands> commands;
    private final long maxBytes;
    private final Duration roomTtl;
    private final AtomicBoolean looking = new AtomicBoolean(); // a pass is under way
    private final AtomicLong used = new AtomicLong(); // as last seen; written by Lettuce's thread, read by /metrics
    private final Counter shed;

    RedisBudget(Supplier<Commands> commands, long maxBytes, Duration roomTtl, MeterRegistry registry) {
        this.commands = commands;
        this.maxBytes = maxBytes;
        this.roomTtl = roomTtl;
        Gauge.builder("chorus_redis_used_bytes", used, AtomicLong::get)
                .description("Redis's used_memory as last seen by this instance").register(registry);
        this.shed = Counter.builder("chorus_redis_rooms_shed_total")
                .description("rooms dropped from Redis to stay within REDIS_MAX_BYTES: those of the address that wrote the most first")
                .register(registry);
    }

    /** Counts a message's bytes for the room and its maker, without waiting. */
    void attribute(Commands c, String room, String maker, int bytes) {
        c.async().eval(ATTRIBUTE, ScriptOutputType.STATUS, KEYS, String.valueOf(System.currentTimeMillis()), room, maker,
                String.valueOf(bytes));
    }

    /**
     * Looks at Redis's memory and sheds rooms past the budget, one at a time, looking again after
     * each (so no more go than needed); asynchronous, so it never waits on Redis, and one pass at a
     * time.
     */
    void enforce() {
        Commands c = commands.get();
        if (c == null || !c.isOpen() || !looking.compareAndSet(false, true)) return;
        List<String> rooms = new ArrayList<>();
        CompletionStage<Void> pass;
        try {
            pass = shedFrom(c, rooms);
        } catch (RuntimeException e) { // thrown before the pass began: the next look may begin one
            looking.set(false);
            throw e;
        }
        pass.whenComplete((done, failure) -> {
            looking.set(false); // a failure: Redis's health is judged by the beat and by publishing
            if (rooms.isEmpty()) return;
            shed.increment(rooms.size());
            LOG.warn("Redis holds more than REDIS_MAX_BYTES ({}): dropped {} room(s) of the addresses that wrote the most, {}",
                    maxBytes, rooms.size(), rooms.size() <= 5 ? rooms : rooms.subList(0, 5) + "…");
        });
    }

    private CompletionStage<Void> shedFrom(Commands c, List<String> rooms) {
        return c.memory().thenCompose(infos -> {
            long sum = infos.stream().mapToLong(RedisBudget::usedMemory).sum();
            used.set(sum);
            boolean over = sum > maxBytes && rooms.size() < MAX_SHED;
            return c.async().<List<String>>eval(SHED, ScriptOutputType.MULTI, KEYS, over ? "1" : "0",
                    String.valueOf(System.currentTimeMillis()), String.valueOf(roomTtl.toMillis()));
        }).thenCompose(chosen -> {
            if (chosen.isEmpty()) return CompletableFuture.completedFuture(null);
            String room = chosen.get(0);
            rooms.add(room);
            return RedisBackend.forget(c, room, RedisBackend.roomKeys(room)).thenCompose(heard -> shedFrom(c, rooms));
        });
    }

    private static long usedMemory(String info) {
        Matcher m = USED.matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static final Pattern USED = Pattern.compile("used_memory:(\\d+)");
}
