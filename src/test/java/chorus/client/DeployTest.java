package chorus.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RedisServer;
import chorus.support.Router;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A rolling deploy (#33): three instances on Redis behind a router, 1 000 clients of the library
 * in Node under steady traffic; each instance in turn is replaced (a new one starts, the old one
 * is taken out of the router and sent what SIGTERM sends). For 2 s after each SIGTERM the router
 * holds one new connection in ten unanswered, as one sent to an instance that stopped accepting
 * would be. Everyone is back within a few seconds of each SIGTERM, spread out rather than all at
 * once, with no second wave; every room's messages reach every client once, in order.
 */
class DeployTest {
    private static final int CLIENTS = 1000;

    @Test
    void aRollingDeployOfThreeInstancesBringsEveryoneBackSpreadOutWithNothingLostOrDoubled() throws Exception {
        try (RedisServer redis = new RedisServer(); Router router = new Router()) {
            Map<String, String> env = new HashMap<>(Map.of("REDIS_URL", redis.url(), "MAX_CONNECTIONS_PER_ADDRESS", "100000",
                    "RATE_LIMIT_PER_ADDRESS", "100000", "NEW_ROOMS_PER_ADDRESS", "100000", "MAX_HTTP_CONNECTIONS_PER_ADDRESS", "100000",
                    "LOOKUPS_PER_ADDRESS", "100000"));
            List<TestServer> running = new ArrayList<>();
            for (int i = 0; i < 3; i++) running.add(started(env, router));
            ProcessBuilder run = new ProcessBuilder("node", "--experimental-websocket", "--no-warnings", "deploy.mjs")
                    .directory(new File("src/test/js")).redirectError(ProcessBuilder.Redirect.INHERIT);
            run.environment().putAll(Map.of("CHORUS_WS", "ws://127.0.0.1:" + router.port() + "/ws", "CLIENTS", Integer.toString(CLIENTS)));
            Process node = run.start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
                Writer in = new java.io.OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8);
                assertEquals("ready", out.readLine());
                Thread.sleep(500); // steady traffic first
                List<Long> backWithin = new ArrayList<>();
                for (int step = 0; step < 3; step++) {
                    TestServer fresh = started(env, router);
                    TestServer old = running.remove(0);
                    router.remove(old.port());
                    in.write("deploy " + step + "\n");
                    in.flush();
                    long sigterm = System.nanoTime();
                    router.hang(10, 2_000);
                    old.close(); // what SIGTERM does
                    running.add(fresh);
                    while (sockets(running) < CLIENTS && System.nanoTime() - sigterm < TimeUnit.SECONDS.toNanos(30)) Thread.sleep(20);
                    backWithin.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm));
                    Thread.sleep(500);
                }
                in.write("stop\n");
                in.flush();
                JsonNode summary = new ObjectMapper().readTree(out.readLine());
                List<Long> returns = new ArrayList<>();
                summary.get("returns").forEach(r -> returns.add(r.asLong()));
                Map<Long, Integer> perHalfSecond = new TreeMap<>();
                for (long r : returns) perHalfSecond.merge(r / 500 * 500, 1, Integer::sum);
                System.out.printf("rolling deploy: %d returns after a break; ms after the SIGTERM: p50 %d, p90 %d, max %d; per 0.5 s: %s;"
                        + " every socket back %s ms after each SIGTERM; %d messages confirmed; why not open: %s; sockets seen ending at (deciles) %s%n", returns.size(), at(returns, 0.5),
                        at(returns, 0.9), at(returns, 1.0), perHalfSecond, backWithin, summary.get("confirmed").asInt(), summary.get("reasons"),
                        summary.get("noticed"));
                assertEquals(0, summary.get("wrongCount").asInt(), "heard other than every confirmed message once in order: " + summary);
                assertEquals(0, summary.get("refused").size(), summary.toString());
                assertTrue(returns.size() >= CLIENTS / 3 * 3, "every client of each stopped instance came back: " + returns.size());
                assertEquals(returns.size(), summary.get("reasons").path("restarting").asInt(), "every client was told when to come back");
                // The window is 1 s for this many sockets; returns take 2-5 s on a loaded machine (1 000 clients in one Node
                // process), a held handshake 3-4 s more. The second wave the issue saw came 11.5 s after each SIGTERM: a held
                // handshake given up only at the 10 s connect deadline.
                assertTrue(at(returns, 1.0) <= 10_000, "a return " + at(returns, 1.0) + " ms after the SIGTERM: " + perHalfSecond);
            } finally {
                node.destroyForcibly();
                for (TestServer server : running) server.close();
            }
        }
    }

    private static TestServer started(Map<String, String> env, Router router) {
        TestServer server = new TestServer(env);
        router.add(server.port());
        return server;
    }

    private static int sockets(List<TestServer> servers) {
        return servers.stream().mapToInt(s -> s.server().sockets().size()).sum();
    }

    private static long at(List<Long> sorted, double quantile) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(quantile * sorted.size())));
    }
}
