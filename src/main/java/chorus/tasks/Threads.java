package chorus.tasks;

/**
 * The server's threads, by name, so an entry point can state which runs it: {@code assert
 * Threads.FEED.current()}. Assertions are on in the tests (Surefire's default) and off in
 * production, where the check costs nothing.
 */
public enum Threads {
    /** Jetty's pool: HTTP requests, upgrades and every socket's frames. */
    JETTY("chorus-jetty"),
    /** The timer: presence rounds, expiries, sweeps. */
    TIMER("chorus-timer"),
    /** The Redis feeds: every room's channel, in order. */
    FEED("chorus-redis-feeds"),
    /** The webhooks' thread: deliveries, and with Redis the shared outbox's beat and reads. */
    WEBHOOKS("chorus-webhooks");

    private final String prefix;

    Threads(String prefix) {
        this.prefix = prefix;
    }

    /** Whether the calling thread is one of these. */
    public boolean current() {
        return Thread.currentThread().getName().startsWith(prefix);
    }
}
