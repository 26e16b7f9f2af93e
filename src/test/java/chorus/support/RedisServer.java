package chorus.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server on a free loopback port that never saves by itself; it can be killed and
 * restarted, and a restart loads the last snapshot a test asked for with SAVE, if any.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final boolean tls;
    private Process process;

    public RedisServer() throws Exception {
        this(false);
    }

    /** With tls, it speaks only TLS, with a fresh self-signed certificate, as Heroku's Key-Value Store does. */
    public RedisServer(boolean tls) throws Exception {
        this.tls = tls;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        start();
    }

    /** CONFIG SET on this server, from a client of its own. */
    public void config(String key, String value) {
        command(c -> c.configSet(key, value));
    }

    /** SAVE: the file a restart comes back to holds what Redis holds now. */
    public void save() {
        command(c -> c.save());
    }

    /** REPLICAOF the primary: this one serves its data, as a replica, from now on. */
    public void replicate(RedisServer primary) {
        command(c -> c.replicaof("127.0.0.1", primary.port()));
    }

    /**
     * Whether this replica has what its primary has written so far: its link is up and its offset
     * has reached the primary's as read now (the primary goes on writing, a beat a second, so
     * the two are never compared for equality).
     */
    public boolean awaitCaughtUp(RedisServer primary, java.time.Duration within) throws InterruptedException {
        String[] info = new String[1];
        primary.command(c -> info[0] = c.info("replication"));
        long target = offset(info[0], "master_repl_offset");
        long deadline = System.nanoTime() + within.toNanos();
        do {
            command(c -> info[0] = c.info("replication"));
            if (info[0].contains("master_link_status:up") && offset(info[0], "slave_repl_offset") >= target) return true;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private static long offset(String info, String field) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(field + ":(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Closes this primary's links to its replicas: what it writes next reaches none until they reconnect. */
    public void dropReplicas() {
        command(c -> c.clientKill(io.lettuce.core.KillArgs.Builder.typeSlave()));
    }

    /** REPLICAOF NO ONE: a replica becomes a primary with what it has. */
    public void promote() {
        command(c -> c.replicaofNoOne());
    }

    private void command(java.util.function.Consumer<io.lettuce.core.api.sync.RedisCommands<String, String>> command) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(url());
        try (io.lettuce.core.api.StatefulRedisConnection<String, String> c = client.connect()) {
            command.accept(c.sync());
        } finally {
            client.shutdown();
        }
    }

    public String url() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public void start() throws Exception {
        Path data = Path.of("target", "redis-data-" + port).toAbsolutePath();
        Files.createDirectories(data);
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", data.toString()));
        if (tls) {
            Path dir = Path.of("target", "redis-tls-" + port).toAbsolutePath(); // redis-server runs in its --dir
            Files.createDirectories(dir);
            new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=chorus-test", "-keyout", dir.resolve("key.pem").toString(),
                    "-out", dir.resolve("cert.pem").toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start().waitFor();
            command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(port),
                    "--tls-cert-file", dir.resolve("cert.pem").toString(), "--tls-key-file", dir.resolve("key.pem").toString(),
                    "--tls-ca-cert-file", dir.resolve("cert.pem").toString(), "--tls-auth-clients", "no"));
        } else {
            command.addAll(List.of("--port", String.valueOf(port)));
        }
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(Path.of("target", "redis-" + port + ".log").toFile()).start();
        awaitPort(port);
    }

    /** Returns once a redis-server accepts connections on the port, within five seconds. */
    static void awaitPort(int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    /** SIGSTOP: Redis hangs, holding every connection open, until {@link #wake()}. */
    public void hang() throws Exception {
        signal("STOP");
    }

    /** SIGCONT: it runs what queued up while it hung. */
    public void wake() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }

    /** SIGKILL: gone at once, with everything it held. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
