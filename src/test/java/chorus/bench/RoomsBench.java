package chorus.bench;

import chorus.support.RedisServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What many rooms cost with Redis: <pre>bin/bench rooms</pre>
 * Two Chorus instances (started as the Procfile starts them) on one local redis-server. First,
 * the CPU Redis and each instance use while nothing happens, with no room and then with 10 000
 * rooms of one member each, next to the same rooms on one instance in memory (what the
 * connections alone cost: keepalive pings). The sample lasts one ping interval (25 s), so every
 * connection is pinged once in it whatever its timing; second, send-to-delivery latency at 300 messages/s spread over 3 000
 * rooms, each with its sender on one instance and a reader on the other, next to the same rate
 * in one room with the same two members, and both again on one instance in memory (what the
 * rooms cost without Redis). Every scenario starts on fresh servers.
 */
public final class RoomsBench {
    private static final Map<String, String> LIFTED = Map.of("RATE_LIMIT_PER_SECOND", "1000000",
            "RATE_LIMIT_BURST", "1000000", "MAX_CONNECTIONS", "100000", "MAX_CONNECTIONS_PER_ADDRESS", "100000",
            "RATE_LIMIT_PER_ADDRESS", "1000000", "NEW_ROOMS_PER_ADDRESS", "1000000", "MAX_ROOMS", "1000000");

    private final String command;
    private final Duration settle;
    private final Duration sample;
    private final Duration warmup;

    private RoomsBench(String command, Duration settle, Duration sample, Duration warmup) {
        this.command = command;
        this.settle = settle;
        this.sample = sample;
        this.warmup = warmup;
    }

    /** Two instances sharing a fresh redis-server. */
    private record Cluster(RedisServer redis, ServerProcess a, ServerProcess b) implements AutoCloseable {
        URI url(ServerProcess instance, String room) {
            return URI.create(instance.url() + "?room=" + room);
        }

        @Override
        public void close() throws Exception {
            a.close();
            b.close();
            redis.close();
        }
    }

    private Cluster cluster() throws Exception {
        RedisServer redis = new RedisServer();
        Map<String, String> env = new LinkedHashMap<>(LIFTED);
        env.put("REDIS_URL", redis.url());
        return new Cluster(redis, ServerProcess.start(command, env), ServerProcess.start(command, env));
    }

    /** % of one core used by Redis and each instance over the sample, after a settling pause. */
    private Map<String, Double> idle(Cluster c) throws Exception {
        Thread.sleep(settle.toMillis());
        double redis = ServerProcess.cpuSeconds(c.redis().pid()), a = c.a().cpuSeconds(), b = c.b().cpuSeconds();
        Thread.sleep(sample.toMillis());
        double seconds = sample.toMillis() / 1000.0;
        Map<String, Double> cpu = new LinkedHashMap<>();
        cpu.put("redis", 100 * (ServerProcess.cpuSeconds(c.redis().pid()) - redis) / seconds);
        cpu.put("instance with the rooms", 100 * (c.a().cpuSeconds() - a) / seconds);
        cpu.put("other instance", 100 * (c.b().cpuSeconds() - b) / seconds);
        return cpu;
    }

    /** The same rooms on one instance in memory: what the connections alone cost, without Redis. */
    private double idleInMemory(int rooms) throws Exception {
        try (ServerProcess alone = ServerProcess.start(command, LIFTED)) {
            List<URI> urls = new ArrayList<>();
            for (int i = 0; i < rooms; i++) urls.add(URI.create(alone.url() + "?room=idle-" + i));
            try (Fleet ignored = Fleet.connect(urls, rooms, null)) {
                Thread.sleep(settle.toMillis());
                double before = alone.cpuSeconds();
                Thread.sleep(sample.toMillis());
                return 100 * (alone.cpuSeconds() - before) / (sample.toMillis() / 1000.0);
            }
        }
    }

    private Map<String, Double> idleWithRooms(int rooms) throws Exception {
        try (Cluster c = cluster()) {
            if (rooms == 0) return idle(c);
            List<URI> urls = new ArrayList<>();
            for (int i = 0; i < rooms; i++) urls.add(c.url(c.a(), "idle-" + i));
            try (Fleet ignored = Fleet.connect(urls, rooms, null)) {
                return idle(c);
            }
        }
    }

    /** Senders on one instance, readers on the other, each pair in its own room. */
    private Fleet.Result spread(int rooms, double rate) throws Exception {
        try (Cluster c = cluster()) {
            return pairs(c.a(), c.b(), rooms, rate);
        }
    }

    /** The same pairs on one instance in memory: what the rooms cost without Redis. */
    private Fleet.Result spreadInMemory(int rooms, double rate) throws Exception {
        try (ServerProcess alone = ServerProcess.start(command, LIFTED)) {
            return pairs(alone, alone, rooms, rate);
        }
    }

    private Fleet.Result pairs(ServerProcess senders, ServerProcess readers, int rooms, double rate) throws Exception {
        List<URI> urls = new ArrayList<>();
        for (int i = 0; i < rooms; i++) urls.add(URI.create(senders.url() + "?room=r-" + i));
        for (int i = 0; i < rooms; i++) urls.add(URI.create(readers.url() + "?room=r-" + i));
        try (Fleet fleet = Fleet.connect(urls, urls.size(), null)) {
            return fleet.run(rate, rooms, warmup, Duration.ofSeconds(10), 64, 2);
        }
    }

    private Map<String, Object> latency(int rooms, double rate) throws Exception {
        Fleet.Result one = spread(1, rate);
        Fleet.Result spread = spread(rooms, rate);
        Fleet.Result oneInMemory = spreadInMemory(1, rate);
        Fleet.Result spreadInMemory = spreadInMemory(rooms, rate);
        System.out.printf("%n%.0f msg/s, sender and reader per room %12s %12s %12s %12s%n", rate,
                "Redis 1", "Redis " + rooms, "memory 1", "memory " + rooms);
        System.out.printf("%-40s %12.2f %12.2f %12.2f %12.2f%n", "p50 (ms)", one.p50Ms(), spread.p50Ms(),
                oneInMemory.p50Ms(), spreadInMemory.p50Ms());
        System.out.printf("%-40s %12.2f %12.2f %12.2f %12.2f%n", "p99 (ms)", one.p99Ms(), spread.p99Ms(),
                oneInMemory.p99Ms(), spreadInMemory.p99Ms());
        System.out.printf("%-40s %12d %12d %12d %12d%n", "undelivered after 3 s", one.lost(), spread.lost(),
                oneInMemory.lost(), spreadInMemory.lost());
        return Map.of("oneRoom", one, "spread", spread, "oneRoomInMemory", oneInMemory, "spreadInMemory", spreadInMemory,
                "roomCount", rooms, "rate", rate);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        String procfile = Files.readString(Path.of("Procfile")).strip().replaceFirst("^web: ", "");
        RoomsBench bench = new RoomsBench(a.getOrDefault("server", procfile),
                Args.duration(a.getOrDefault("settle", "10s")), Args.duration(a.getOrDefault("sample", "25s")),
                Args.duration(a.getOrDefault("warmup", "15s"))); // past the tail of the joins' own work
        int idleRooms = Integer.parseInt(a.getOrDefault("idle-rooms", "10000"));
        int rooms = Integer.parseInt(a.getOrDefault("rooms", "3000"));
        double rate = Double.parseDouble(a.getOrDefault("rate", "300"));

        Map<String, Object> json = new LinkedHashMap<>();
        if (idleRooms > 0) { // --idle-rooms 0 skips this part
            Map<String, Double> none = bench.idleWithRooms(0);
            Map<String, Double> many = bench.idleWithRooms(idleRooms);
            double memory = bench.idleInMemory(idleRooms);
            System.out.printf("%nidle CPU, %% of one core     %12s %12s%n", "no room", idleRooms + " rooms");
            for (String who : none.keySet()) System.out.printf("%-28s %12.1f %12.1f%n", who, none.get(who), many.get(who));
            System.out.printf("%-28s %12s %12.1f%n", "the same rooms in memory", "", memory);
            json.put("idle", Map.of("none", none, "rooms", many, "memory", memory, "roomCount", idleRooms));
        }
        if (rooms > 0) json.put("latency", bench.latency(rooms, rate)); // --rooms 0 skips this part
        Report.writeJson(Path.of(a.getOrDefault("json", "target/bench-rooms.json")), json);
    }

}
