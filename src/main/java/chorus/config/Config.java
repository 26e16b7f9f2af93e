package chorus.config;

import chorus.protocol.Pace;
import chorus.auth.Keys;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything Chorus reads from the environment, read once at start-up.
 * A malformed value fails start-up with a message naming the variable and the accepted form.
 */
public record Config(
        int port,
        int maxMessageBytes,
        double ratePerSecond,
        int rateBurst,
        int maxConnections,
        List<String> allowedOrigins,
        int sendQueueMessages,
        int sendQueueBytes,
        long sendQueueTotalBytes,
        Duration pingInterval,
        Duration idleTimeout,
        int historySize,
        String redisUrl,
        boolean redisTlsVerify,
        long redisMaxBytes,
        int redisMaxRefs,
        long historyBytes,
        int maxFragments,
        Duration messageTimeout,
        Duration headerTimeout,
        int maxHttpConnections,
        int maxHttpConnectionsPerAddress,
        int maxThreads,
        int maxConnectionsPerAddress,
        double ratePerAddress,
        int maxRooms,
        int maxIdleRooms,
        int newRoomsPerAddress,
        int maxRoomsPerConnection,
        int lookupsPerAddress,
        boolean trustProxy,
        String apiToken,
        String metricsToken,
        Keys tokenKeys,
        boolean requireToken,
        int maxTokenBytes,
        Hooks hooks) {

    /** The send limits each welcome announces (docs/PROTOCOL.md). */
    public Pace pace() {
        return new Pace(maxMessageBytes, ratePerSecond, rateBurst, ratePerAddress, Pace.addressBurst(ratePerAddress));
    }

    /** Thrown for a malformed variable; its message is meant for the operator. */
    public static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

    public static Config fromEnv(Map<String, String> env) {
        Config config = new Config(
                integer(env, "PORT", 7070, 0, 65535),
                integer(env, "MAX_MESSAGE_BYTES", 16 * 1024, 1, 1 << 24),
                integer(env, "RATE_LIMIT_PER_SECOND", 20, 1, 1_000_000),
                integer(env, "RATE_LIMIT_BURST", 40, 1, 1_000_000),
                integer(env, "MAX_CONNECTIONS", 10_000, 1, 1_000_000),
                origins(env, "ALLOWED_ORIGINS"),
                integer(env, "SEND_QUEUE_MESSAGES", 512, 1, 1_000_000),
                integer(env, "SEND_QUEUE_BYTES", 1 << 20, 1024, 1 << 30),
                // What all queues together may hold, each frame counted once: a fifth of a 512 MB dyno's heap.
                integer(env, "SEND_QUEUE_TOTAL_BYTES", 64 << 20, 1 << 16, Integer.MAX_VALUE),
                duration(env, "PING_INTERVAL", Duration.ofSeconds(25)),
                duration(env, "IDLE_TIMEOUT", Duration.ofSeconds(60)),
                integer(env, "HISTORY_SIZE", 100, 1, 10_000),
                redisUrl(env, "REDIS_URL"),
                bool(env, "REDIS_TLS_VERIFY", false),
                // The smallest Key-Value Store plan holds 25 MB: a fifth is left for Redis's own needs.
                integer(env, "REDIS_MAX_BYTES", 20 << 20, 1 << 20, Integer.MAX_VALUE),
                // About 200 bytes each: 5 000 refs are a megabyte, a twentieth of the default budget.
                integer(env, "REDIS_MAX_REFS", 5_000, 10, 1_000_000),
                // A sixth of a 512 MB dyno's ~300 MB heap: room left for queues, sockets and the JVM.
                integer(env, "HISTORY_BYTES", 48 << 20, 1 << 16, Integer.MAX_VALUE),
                integer(env, "MAX_FRAGMENTS", 64, 1, 100_000),
                duration(env, "MESSAGE_TIMEOUT", Duration.ofSeconds(10)),
                duration(env, "HEADER_TIMEOUT", Duration.ofSeconds(10)),
                // About 100 KB of heap each while a request is read: 1 024 is a third of a 512 MB dyno's heap.
                integer(env, "MAX_HTTP_CONNECTIONS", 1024, 1, 1_000_000),
                integer(env, "MAX_HTTP_CONNECTIONS_PER_ADDRESS", 64, 1, 1_000_000),
                // Idle sockets hold no thread; an HTTP request holds one while it is read and
                // answered. Each thread's stack costs memory once used (a reconnect storm grew
                // Jetty's default 250 to 170, 1.3 KiB per socket for 10 000 of them), and more
                // than 16 opened sockets no faster on 2 cores.
                integer(env, "MAX_THREADS", 16, 8, 10_000),
                integer(env, "MAX_CONNECTIONS_PER_ADDRESS", 256, 1, 1_000_000),
                integer(env, "RATE_LIMIT_PER_ADDRESS", 100, 1, 1_000_000),
                integer(env, "MAX_ROOMS", 5_000, 1, 1_000_000),
                integer(env, "MAX_IDLE_ROOMS", 1_000, 0, 1_000_000),
                integer(env, "NEW_ROOMS_PER_ADDRESS", 120, 1, 1_000_000), // a minute's worth, and the burst
                integer(env, "MAX_ROOMS_PER_CONNECTION", 100, 1, 10_000),
                integer(env, "LOOKUPS_PER_ADDRESS", 30, 1, 1_000_000), // likewise
                // Heroku sets DYNO on every dyno, and there every socket comes from its router.
                bool(env, "TRUST_PROXY", env.get("DYNO") != null && !env.get("DYNO").isBlank()),
                token(env, "API_TOKEN"),
                token(env, "METRICS_TOKEN"),
                tokenKeys(env),
                bool(env, "REQUIRE_TOKEN", false),
                integer(env, "MAX_TOKEN_BYTES", 4096, 256, 6144), // below Jetty's 8 KiB of request headers
                Hooks.fromEnv(env, chorus.webhooks.Events.TYPES, (name, fallback) -> duration(env, name, fallback),
                        (name, fallback, min, max) -> integer(env, name, fallback, min, max)));
        if (config.requireToken && config.tokenKeys == null) {
            throw new Invalid("REQUIRE_TOKEN=true needs TOKEN_SECRET or TOKEN_PUBLIC_KEY to verify tokens with");
        }
        // A ping must be able to come back before the peer is declared gone.
        if (config.idleTimeout.compareTo(config.pingInterval) <= 0) {
            throw new Invalid("IDLE_TIMEOUT (" + config.idleTimeout + ") must be longer than PING_INTERVAL ("
                    + config.pingInterval + ")");
        }
        // One message must always fit a client's queue, even as JSON with every character escaped
        // (up to six bytes each), or every recipient of it would be dropped as too slow.
        long largestFrame = 6L * config.maxMessageBytes + 1024;
        if (config.sendQueueBytes < largestFrame) {
            throw new Invalid("SEND_QUEUE_BYTES (" + config.sendQueueBytes + ") must be at least 6 × MAX_MESSAGE_BYTES + 1024 ("
                    + largestFrame + "), so that the largest message fits a client's queue");
        }
        return config;
    }

    private static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return fallback;
        try {
            int value = Integer.parseInt(raw.trim());
            if (value >= min && value <= max) return value;
        } catch (NumberFormatException ignored) {
            // reported below with the accepted form
        }
        throw new Invalid(name + " must be a whole number from " + min + " to " + max + ", got '" + raw + "'");
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return fallback;
        Matcher m = DURATION.matcher(raw.trim());
        if (m.matches() && Long.parseLong(m.group(1)) > 0) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }
        throw new Invalid(name + " must be a positive duration such as 500ms, 25s or 2m, got '" + raw + "'");
    }

    /** Null when unset: one process, in memory. */
    private static String redisUrl(Map<String, String> env, String name) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return null;
        try {
            URI uri = new URI(raw.trim());
            boolean scheme = "redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme());
            if (scheme && uri.getHost() != null && uri.getPort() <= 65535) return raw.trim();
        } catch (URISyntaxException ignored) {
            // reported below with the accepted form
        }
        // The value may hold a password: name the variable, not the value.
        throw new Invalid(name + " must be a URL such as redis://localhost:6379 or rediss://:password@host:port");
    }

    /** Null when unset. A token must be long enough not to be guessed. */
    private static String token(Map<String, String> env, String name) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return null;
        String token = raw.strip();
        if (token.length() < 16 || !token.chars().allMatch(c -> c > 32 && c < 127)) {
            // The value is a secret: name the variable, not the value.
            throw new Invalid(name + " must be at least 16 visible ASCII characters (for example: openssl rand -hex 32)");
        }
        return token;
    }

    /** Null when neither TOKEN_SECRET nor TOKEN_PUBLIC_KEY is set: every client is anonymous. */
    private static Keys tokenKeys(Map<String, String> env) {
        try {
            return Keys.parse(env.get("TOKEN_SECRET"), env.get("TOKEN_PUBLIC_KEY"));
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage());
        }
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return fallback;
        if (raw.trim().equalsIgnoreCase("true")) return true;
        if (raw.trim().equalsIgnoreCase("false")) return false;
        throw new Invalid(name + " must be true or false, got '" + raw + "'");
    }

    private static List<String> origins(Map<String, String> env, String name) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return List.of();
        if (raw.trim().equals("*")) return List.of("*");
        List<String> origins = java.util.Arrays.stream(raw.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String origin : origins) {
            if (!origin.matches("(?i)https?://[A-Za-z0-9.\\-]+(:\\d{1,5})?/?")) {
                throw new Invalid(name + " must be '*' or a comma-separated list of origins such as "
                        + "https://example.com,http://localhost:3000; '" + origin + "' is not one");
            }
        }
        return origins.stream().map(String::toLowerCase).toList();
    }
}
