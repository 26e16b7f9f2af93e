package chorus.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster on loopback: three primaries and a replica of each (redis-server
 * --cluster-enabled, made one by redis-cli --cluster create), failing a primary over within about
 * two seconds of its death (cluster-node-timeout 1000). A node's port is at most 55535, since its
 * bus port is the port + 10000.
 */
public final class RedisCluster implements AutoCloseable {
    private final Map<Integer, Process> nodes = new LinkedHashMap<>();

    public RedisCluster() throws Exception {
        for (int i = 0; i < 6; i++) {
            int port = freePort();
            Path dir = Path.of("target", "redis-cluster-" + port).toAbsolutePath();
            Files.createDirectories(dir);
            nodes.put(port, new ProcessBuilder("redis-server", "--bind", "127.0.0.1", "--port", String.valueOf(port),
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start());
        }
        for (int port : nodes.keySet()) RedisServer.awaitPort(port);
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int port : nodes.keySet()) create.add("127.0.0.1:" + port);
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        String out = run(create);
        if (!out.contains("[OK] All 16384 slots covered")) throw new IllegalStateException("cluster not created: " + out);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!settled()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("cluster did not settle: " + cli(first(), "cluster", "nodes"));
            Thread.sleep(100);
        }
    }

    /** A node's URL: Chorus finds the others from it. */
    public String url() {
        return "redis://127.0.0.1:" + first();
    }

    /**
     * SIGKILLs the primary that owns this key's slot (a room's keys: "chorus:{room}:log") and
     * returns once its replica serves the slot as primary and the cluster says ok.
     */
    public void killPrimaryOf(String key) throws Exception {
        int victim = primaryOf(key, alive());
        nodes.remove(victim).destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            int now = alive();
            if (now != 0 && primaryOf(key, now) != victim && cli(now, "cluster", "info").contains("cluster_state:ok")) return;
            if (System.nanoTime() > deadline) throw new IllegalStateException("no replica took over: " + cli(now, "cluster", "nodes"));
            Thread.sleep(100);
        }
    }

    /** The port of the primary that serves the key's slot, as the given node sees the cluster. */
    private int primaryOf(String key, int asking) throws Exception {
        int slot = Integer.parseInt(cli(asking, "cluster", "keyslot", key).trim());
        for (String line : cli(asking, "cluster", "nodes").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) continue;
            for (int i = 8; i < f.length; i++) {
                String[] range = f[i].split("-");
                if (range[0].startsWith("[")) continue; // a slot being moved
                int from = Integer.parseInt(range[0]);
                int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                if (slot >= from && slot <= to) return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
            }
        }
        return -1;
    }

    /** Every node agrees the cluster is ok, and every replica has its primary's data stream up. */
    private boolean settled() throws Exception {
        for (int port : nodes.keySet()) {
            if (!cli(port, "cluster", "info").contains("cluster_state:ok")) return false;
            String replication = cli(port, "info", "replication");
            if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) return false;
        }
        return true;
    }

    private int first() {
        return nodes.keySet().iterator().next();
    }

    private int alive() {
        return nodes.isEmpty() ? 0 : first();
    }

    private static String cli(int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
        command.addAll(List.of(args));
        return run(command);
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        return out;
    }

    /** A free port at most 55535 whose bus port is free too. */
    private static int freePort() throws IOException {
        for (int tries = 0; tries < 100; tries++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 45_000);
            try (ServerSocket a = new ServerSocket(port); ServerSocket b = new ServerSocket(port + 10_000)) {
                return port;
            } catch (IOException taken) {
                // another
            }
        }
        throw new IOException("no free port pair");
    }

    @Override
    public void close() throws InterruptedException {
        for (Process node : nodes.values()) node.destroyForcibly();
        for (Process node : nodes.values()) node.waitFor(5, TimeUnit.SECONDS);
    }
}
