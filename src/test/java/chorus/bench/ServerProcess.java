package chorus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server under test, started by its own command on a free port. Memory and CPU are read from
 * /proc, so the server must run on this machine.
 */
final class ServerProcess implements AutoCloseable {
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    private final Process process;
    final int port;
    final long startupMillis;

    private ServerProcess(Process process, int port, long startupMillis) {
        this.process = process;
        this.port = port;
        this.startupMillis = startupMillis;
    }

    static ServerProcess start(String command, Map<String, String> env) throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "exec " + command)
                .redirectErrorStream(true).redirectOutput(Path.of("target", "bench-server.log").toFile());
        builder.environment().putAll(env);
        builder.environment().put("PORT", String.valueOf(port));
        long spawned = System.nanoTime();
        Process process = builder.start();
        URI url = URI.create("ws://127.0.0.1:" + port + "/ws");
        while (!upgrades(url)) {
            if (!process.isAlive()) throw new IllegalStateException("server exited: " + command);
            if (System.nanoTime() - spawned > TimeUnit.SECONDS.toNanos(30)) throw new IllegalStateException("no start: " + command);
            Thread.sleep(2);
        }
        return new ServerProcess(process, port, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - spawned));
    }

    /** Whether a WebSocket upgrade succeeds: "accepting connections", as a client sees it. */
    private static boolean upgrades(URI url) {
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.getOutputStream().write(Handshake.request(url));
            InputStream in = socket.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, 12);
            return n == 12 && new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 101");
        } catch (IOException notYet) {
            return false;
        }
    }

    URI url() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        throw new IOException("no VmRSS for " + process.pid());
    }

    /** User plus system CPU seconds the server has used so far. */
    double cpuSeconds() throws IOException {
        return cpuSeconds(process.pid());
    }

    /** User plus system CPU seconds any process on this machine has used so far. */
    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
