package chorus.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    @Test
    void defaultsAreSafe() {
        Config config = Config.fromEnv(Map.of());
        assertEquals(7070, config.port());
        assertEquals(16 * 1024, config.maxMessageBytes());
        assertEquals(10_000, config.maxConnections());
        assertEquals(List.of(), config.allowedOrigins());
        assertEquals(Duration.ofSeconds(25), config.pingInterval());
    }

    @Test
    void valuesAreRead() {
        Config config = Config.fromEnv(Map.of("PORT", "8080", "PING_INTERVAL", "500ms", "IDLE_TIMEOUT", "2m",
                "ALLOWED_ORIGINS", "https://A.example, http://localhost:3000"));
        assertEquals(8080, config.port());
        assertEquals(Duration.ofMillis(500), config.pingInterval());
        assertEquals(Duration.ofMinutes(2), config.idleTimeout());
        assertEquals(List.of("https://a.example", "http://localhost:3000"), config.allowedOrigins());
        Config redis = Config.fromEnv(Map.of("REDIS_URL", "rediss://:secret@example.com:6380"));
        assertEquals("rediss://:secret@example.com:6380", redis.redisUrl());
        assertEquals(false, redis.redisTlsVerify(), "Heroku's Key-Value Store has a self-signed certificate");
    }

    @Test
    void theProxyIsTrustedOnHerokuByDefaultAndTrustProxyDecidesEitherWay() {
        assertEquals(false, Config.fromEnv(Map.of()).trustProxy(), "a bare server trusts no forwarded header");
        assertEquals(true, Config.fromEnv(Map.of("DYNO", "web.1")).trustProxy(), "every dyno is behind Heroku's router");
        assertEquals(false, Config.fromEnv(Map.of("DYNO", "web.1", "TRUST_PROXY", "false")).trustProxy());
        assertEquals(true, Config.fromEnv(Map.of("TRUST_PROXY", "true")).trustProxy());
    }

    @Test
    void malformedValuesNameTheVariableAndTheAcceptedForm() {
        assertMessage(Map.of("PORT", "http"), "PORT must be a whole number from 0 to 65535, got 'http'");
        assertMessage(Map.of("PORT", "70000"), "PORT must be a whole number from 0 to 65535, got '70000'");
        assertMessage(Map.of("PING_INTERVAL", "25"), "PING_INTERVAL must be a positive duration");
        assertMessage(Map.of("ALLOWED_ORIGINS", "evil.example"), "ALLOWED_ORIGINS must be '*' or a comma-separated");
        assertMessage(Map.of("PING_INTERVAL", "30s", "IDLE_TIMEOUT", "30s"), "IDLE_TIMEOUT (PT30S) must be longer");
        assertMessage(Map.of("REDIS_URL", "localhost:6379"), "REDIS_URL must be a URL such as redis://");
        assertMessage(Map.of("REDIS_URL", "http://h:1"), "REDIS_URL must be a URL such as redis://");
        assertMessage(Map.of("REDIS_TLS_VERIFY", "yes"), "REDIS_TLS_VERIFY must be true or false");
        assertMessage(Map.of("API_TOKEN", "short"), "API_TOKEN must be at least 16 visible ASCII characters");
        assertMessage(Map.of("METRICS_TOKEN", "with a space in it, long"), "METRICS_TOKEN must be at least 16");
        assertMessage(Map.of("SEND_QUEUE_BYTES", "65536"), "SEND_QUEUE_BYTES (65536) must be at least 6 × MAX_MESSAGE_BYTES");
    }

    private static void assertMessage(Map<String, String> env, String expected) {
        Config.Invalid e = assertThrows(Config.Invalid.class, () -> Config.fromEnv(env));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
