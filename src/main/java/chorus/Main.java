package chorus;

import chorus.config.Config;
import chorus.protocol.Lookalikes;

/** Reads the environment once, starts the server, and stops it gracefully on SIGTERM. */
public final class Main {
    private static final String REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

    public static void main(String[] args) {
        Config config;
        try {
            config = Config.fromEnv(System.getenv());
        } catch (Config.Invalid e) {
            System.err.println("chorus: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Jetty works out its cache-line layout at start-up by asking the platform MBean server
        // (about 0.1 s to create); compressed oops, as on any heap this size, give 16 per line.
        if (System.getProperty(REFERENCES_PER_CACHE_LINE) == null) System.setProperty(REFERENCES_PER_CACHE_LINE, "16");
        // ICU's look-alike tables (about 0.25 s to load) are needed by the first upgrade: loaded
        // on another core while Jetty starts.
        Thread warm = new Thread(() -> Lookalikes.keys("chorus"), "warm-lookalikes");
        warm.setDaemon(true);
        warm.start();
        ChorusServer server = new ChorusServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "shutdown"));
    }
}
