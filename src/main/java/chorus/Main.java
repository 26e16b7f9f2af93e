package chorus;

import chorus.config.Config;

/** Reads the environment once, starts the server, and stops it gracefully on SIGTERM. */
public final class Main {
    public static void main(String[] args) {
        Config config;
        try {
            config = Config.fromEnv(System.getenv());
        } catch (Config.Invalid e) {
            System.err.println("chorus: " + e.getMessage());
            System.exit(2);
            return;
        }
        ChorusServer server = new ChorusServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "shutdown"));
    }
}
