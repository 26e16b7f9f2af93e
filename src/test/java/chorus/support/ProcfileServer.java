package chorus.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The server in a process of its own, on a free port, so that a test can SIGKILL it: the packaged
 * jar started exactly as the Procfile says, as Heroku would start it, or (before the jar is built)
 * the compiled classes the tests run with.
 */
public final class ProcfileServer implements AutoCloseable {
    private final Process process;
    private final int port;

    public ProcfileServer(Map<String, String> env) throws Exception {
        this(procfile(), env);
    }

    /** The server from the test run's own classpath: no jar needed, so it runs among the unit tests. */
    public static ProcfileServer fromClasses(Map<String, String> env) throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        return new ProcfileServer("'" + java + "' $JAVA_OPTS -cp '" + System.getProperty("java.class.path") + "' chorus.Main", env);
    }

    private static String procfile() throws IOException {
        String procfile = Files.readString(Path.of("Procfile")).strip();
        assertTrue(procfile.startsWith("web: "), "Procfile has no web process: " + procfile);
        return procfile.substring("web: ".length());
    }

    private ProcfileServer(String command, Map<String, String> env) throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        // exec, so that SIGTERM reaches the JVM as it does on a dyno.
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "exec " + command)
                .redirectErrorStream(true)
                .redirectOutput(log().toFile());
        builder.environment().put("PORT", String.valueOf(port));
        builder.environment().put("JAVA_OPTS", "-Xmx256m");
        builder.environment().putAll(env);
        process = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            try {
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
                assertTrue(page.body().contains("<title>Chorus</title>"));
                return;
            } catch (IOException notYet) {
                assertTrue(process.isAlive(), "the jar exited: " + Files.readString(log()));
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the jar did not serve / within 30 s");
    }

    public Process process() {
        return process;
    }

    public int port() {
        return port;
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    /** Waits until /health says what it should: sockets count once joined, not when upgraded. */
    public void awaitHealth(String fragment) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String body = "";
        for (int i = 0; i < 100 && !body.contains(fragment); i++) {
            body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (!body.contains(fragment)) Thread.sleep(50);
        }
        assertTrue(body.contains(fragment), body);
    }

    private Path log() {
        return Path.of("target", "jar-it-" + port + ".log");
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
