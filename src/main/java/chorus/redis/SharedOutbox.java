package chorus.redis;

import chorus.protocol.MessageId;
import chorus.tasks.Threads;
import chorus.webhooks.Change;
import chorus.webhooks.Event;
import chorus.webhooks.Events;
import chorus.webhooks.Ledger;
import chorus.webhooks.Outbox;
import chorus.webhooks.Queue;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.lettuce.core.ScriptOutputType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks shared by every instance through Redis ({@link SharedScripts}). Events go into one
 * stream, bounded in bytes; one instance at a time holds the deliverer's lease and reads the
 * stream through a consumer group into a small window of its own (a {@link Queue}, the same
 * lines as in memory), so each event is delivered by one instance, in order per room; an event is
 * acknowledged and deleted once taken. An instance that dies lets its lease lapse: the next
 * deliverer claims what it had read and not finished (XAUTOCLAIM) and delivers that first. Who is
 * where is counted in Redis too, per instance, so an arrival or a departure is one for all of
 * them; the departures of an instance that stopped beating are made by the deliverer.
 *
 * <p>hold, release and add may be called from any thread and only send; the beat and the reads
 * run on the webhooks' thread.
 */
public final class SharedOutbox implements Outbox, Ledger {
    private static final Logger LOG = LoggerFactory.getLogger(SharedOutbox.class);
    private static final String PREFIX = "chorus:webhooks:{w}:";
    private static final long BEAT_MS = 1_000;
    private static final long FILL_MS = 100; // how soon the deliverer sees another instance's event
    private static final long LEASE_MS = 5_000; // a deliverer that died is replaced within this
    private static final long DEAD_MS = Presence.STALE_MS; // an instance silent this long held nothing
    private static final int READ = 100; // events per read
    private static final int WINDOW_EVENTS = 1_000; // read ahead at most this many
    private static final long WINDOW_BYTES = 1 << 20; // and about this many bytes
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> DEPARTURE = new TypeReference<>() { };
    private static final String DEPARTURES = PREFIX + "departures"; // how each thing held says it left
    private static final String ALIVE = PREFIX + "alive";
    private static final String DELIVERER = PREFIX + "deliverer";

    private final String instance = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final String[] keys = keys(instance); // every script's keys, this instance's set last
    private final Supplier<Commands> connection;
    private final Events events;
    private final Counter lost;
    private final long maxBytes;
    private final Queue window = new Queue(Long.MAX_VALUE); // read from the stream; the reads keep it small
    private final Map<String, Entry> entries = new ConcurrentHashMap<>(); // event id → its entry, for those in the window
    @GuardedBy("this") private final Map<String, Held> held = new LinkedHashMap<>(); // what this instance holds
    @GuardedBy("this") private boolean unsure; // a hold or a release may have failed: compare with Redis at the next beat
    private volatile boolean delivering;
    // The shared stream's figures as the last beat read them; done() lowers unreported between beats (a hint, not a count).
    private volatile long size;
    private volatile long bytes;
    private volatile long dropped;
    private volatile long unreported;
    private ScheduledExecutorService thread;
    private Runnable wake;
    private String from = "claim"; // where the deliverer reads next; only on the webhooks' thread
    private boolean beaten; // only on the webhooks' thread

    private record Entry(String id, long size) {
    }

    private record Held(Change arrival, Change departure, Duration grace) {
    }

    SharedOutbox(Supplier<Commands> connection, Events events, long maxBytes, MeterRegistry registry) {
        this.connection = connection;
        this.events = events;
        this.maxBytes = maxBytes;
        this.lost = Counter.builder("chorus.webhook.lost").description("webhook events Redis did not take (unreachable, or out of memory)")
                .register(registry);
    }

    @Override
    public void start(ScheduledExecutorService thread, Runnable wake) {
        this.thread = thread;
        this.wake = wake;
        thread.scheduleWithFixedDelay(this::beat, 0, BEAT_MS, TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(this::fill, FILL_MS, FILL_MS, TimeUnit.MILLISECONDS);
    }

    /** The keys every script takes, in SharedScripts' order; the last is what the instance holds. */
    private static String[] keys(String instance) {
        return new String[] {PREFIX + "events", PREFIX + "bytes", PREFIX + "dropped", PREFIX + "unreported", PREFIX + "count",
                DEPARTURES, PREFIX + "parting", PREFIX + "leaving", ALIVE, DELIVERER, held(instance)};
    }

    private static String held(String instance) {
        return PREFIX + "held:" + instance;
    }

    /** The six arguments a script takes for an event; empty for none. */
    private static List<String> fields(Event event) {
        if (event == null) return List.of("", "", "", "", "0", "");
        return List.of(event.id(), event.type(), event.key(), new String(event.body(), StandardCharsets.UTF_8), Long.toString(event.bytes()),
                event.order() == null ? "" : event.order().toString());
    }

    /** A script with every key, for this instance or (owner's set last) another. */
    private CompletionStage<Object> run(String script, String[] scriptKeys, List<String> args) {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return RedisBackend.notConnected();
        List<String> argv = new ArrayList<>(args.size() + 1);
        argv.add(Long.toString(maxBytes));
        argv.addAll(args);
        return c.async().eval(script, ScriptOutputType.MULTI, scriptKeys, argv.toArray(String[]::new));
    }

    @Override
    public void add(Event event) {
        run(SharedScripts.EMIT, keys, fields(event)).whenComplete((done, failure) -> {
            if (failure != null) lost.increment();
        });
    }

    @Override
    public synchronized void hold(String what, Change arrival, Change departure, Duration grace) {
        held.put(what, new Held(arrival, departure, grace));
        sendHold(what, arrival, departure, grace);
    }

    private void sendHold(String what, Change arrival, Change departure, Duration grace) {
        String said;
        try {
            said = JSON.writeValueAsString(Map.of("type", departure.type(), "key", departure.key(), "data", departure.data(),
                    "grace", grace.toMillis()));
        } catch (Exception e) {
            throw new IllegalStateException("strings, numbers and booleans always encode", e);
        }
        List<String> args = new ArrayList<>(List.of(instance, Long.toString(System.currentTimeMillis()), what, said));
        args.addAll(fields(events.make(arrival)));
        run(SharedScripts.HOLD, keys, args).whenComplete((done, failure) -> {
            if (failure != null) unsure();
        });
    }

    @Override
    public synchronized void release(String what, Change departure, Duration grace) {
        held.remove(what);
        sendRelease(keys, what, departure, grace.toMillis());
    }

    /** Lets go of a thing for an instance (its keys: this one, or one that died): its departure is made for when its grace is over. */
    private void sendRelease(String[] owner, String what, Change departure, long graceMs) {
        long now = System.currentTimeMillis();
        List<String> args = new ArrayList<>(List.of(instance, Long.toString(now), what, Long.toString(now + graceMs)));
        args.addAll(fields(events.make(departure.type(), departure.key(), departure.data(), Instant.ofEpochMilli(now + graceMs))));
        run(SharedScripts.RELEASE, owner, args).whenComplete((done, failure) -> {
            if (failure != null) unsure();
        });
    }

    private synchronized void unsure() {
        unsure = true;
    }

    /**
     * On the webhooks' thread, every second: this instance is alive; the deliverer lets go of what
     * dead instances held. A failure is counted by the thread, and the next beat tries again.
     */
    private void beat() {
        assert Threads.WEBHOOKS.current();
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return;
        List<Object> answer = c.sync().eval(SharedScripts.BEAT, ScriptOutputType.MULTI, keys, Long.toString(maxBytes), instance,
                Long.toString(System.currentTimeMillis()), Long.toString(LEASE_MS), Long.toString(DEAD_MS));
        boolean deliverer = (Long) answer.get(0) == 1;
        boolean known = (Long) answer.get(1) == 1;
        size = (Long) answer.get(2);
        bytes = (Long) answer.get(3);
        dropped = (Long) answer.get(4);
        unreported = (Long) answer.get(5);
        if (deliverer != delivering) {
            LOG.info(deliverer ? "this instance now delivers webhooks" : "another instance now delivers webhooks");
            window.clear(); // what was read is claimed again by whoever delivers now
            entries.clear();
            from = "claim";
            delivering = deliverer;
        }
        boolean lapsed = !known && beaten;
        beaten = true;
        if (lapsed) LOG.warn("Redis had taken this instance for dead (or lost its data): holding again what it holds");
        if (lapsed || takeUnsure()) compare(c, lapsed);
        for (Object dead : answer.subList(6, answer.size())) letGo(c, (String) dead);
    }

    private synchronized boolean takeUnsure() {
        boolean was = unsure;
        unsure = false;
        return was;
    }

    /** Makes Redis hold for this instance exactly what it holds: after a hold or release failed, or its holds were let go. */
    private void compare(Commands c, boolean all) {
        Set<String> there = all ? Set.of() : new HashSet<>(c.sync().smembers(held(instance)));
        Map<String, Held> mine;
        synchronized (this) {
            mine = new LinkedHashMap<>(held);
        }
        mine.forEach((what, h) -> {
            if (!there.contains(what)) sendHold(what, h.arrival(), h.departure(), h.grace());
        });
        for (String what : there) if (!mine.containsKey(what)) releaseAsSaid(c, keys, what);
    }

    /** An instance stopped beating: whatever it held, it holds no more. */
    private void letGo(Commands c, String dead) {
        LOG.info("instance {} stopped beating: letting go of what it held", dead);
        String[] owner = keys(dead);
        for (String what : c.sync().smembers(held(dead))) releaseAsSaid(c, owner, what);
        c.sync().zrem(ALIVE, dead);
    }

    /** Lets go of a thing for an instance (its keys), departing as it said when it came to hold it. */
    private void releaseAsSaid(Commands c, String[] owner, String what) {
        String said = c.sync().hget(DEPARTURES, what);
        try {
            Map<String, Object> departure = said == null ? Map.of() : JSON.readValue(said, DEPARTURE);
            Object data = departure.get("data");
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = data instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
            Object grace = departure.get("grace");
            sendRelease(owner, what, new Change(String.valueOf(departure.get("type")), String.valueOf(departure.get("key")), fields),
                    grace instanceof Number n ? n.longValue() : 0);
        } catch (Exception e) {
            LOG.debug("not a departure ({}): let go without one", e.toString());
            sendRelease(owner, what, new Change("", "", Map.of()), 0);
        }
    }

    /** On the webhooks' thread: the deliverer reads on while its window has room, and wakes the deliveries. */
    private void fill() {
        assert Threads.WEBHOOKS.current();
        if (!delivering || window.size() >= WINDOW_EVENTS || window.bytes() >= WINDOW_BYTES) return;
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return;
        List<Object> answer = c.sync().eval(SharedScripts.TAKE, ScriptOutputType.MULTI, keys, Long.toString(maxBytes), instance,
                from, Integer.toString(READ));
        from = (String) answer.get(0);
        for (int i = 1; i + 6 < answer.size(); i += 7) {
            String entry = (String) answer.get(i);
            String order = (String) answer.get(i + 6);
            Event event = new Event((String) answer.get(i + 1), (String) answer.get(i + 2), (String) answer.get(i + 3),
                    ((String) answer.get(i + 4)).getBytes(StandardCharsets.UTF_8), order.isEmpty() ? null : MessageId.parse(order));
            entries.put(event.id(), new Entry(entry, Long.parseLong((String) answer.get(i + 5))));
            window.add(event);
        }
        if (answer.size() > 1) {
            wake.run();
            if ((answer.size() - 1) / 7 >= READ) thread.execute(this::fill); // more may wait
        }
    }

    @Override
    public List<Delivery> take(long now, int max) {
        return window.take(now, max);
    }

    @Override
    public long nextDue() {
        return window.nextDue();
    }

    @Override
    public void done(Delivery delivery, long reported) {
        window.done(delivery, 0);
        Entry entry = entries.remove(delivery.event().id());
        if (entry == null) return; // the window was cleared: the next deliverer has it
        run(SharedScripts.DONE, keys, List.of(entry.id(), Long.toString(entry.size()), Long.toString(reported)));
        unreported = Math.max(0, unreported - reported);
    }

    @Override
    public void failed(Delivery delivery, long retryAt) {
        window.failed(delivery, retryAt);
    }

    @Override
    public long unreported() {
        return unreported;
    }

    @Override
    public long dropped() {
        return dropped;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    /**
     * On the webhooks' thread, as the server stops (its sockets closed): lets go of all it holds,
     * each departure after its own grace, so a person who does not come back to another instance
     * is offline then rather than once this instance is found dead; hands the lease on at once.
     */
    @Override
    public void stop() {
        Commands c = connection.get();
        if (c == null || !c.isOpen()) return;
        Map<String, Held> mine;
        synchronized (this) {
            mine = new LinkedHashMap<>(held);
            held.clear();
        }
        mine.forEach((what, h) -> sendRelease(keys, what, h.departure(), h.grace().toMillis()));
        c.sync().eval("if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end", ScriptOutputType.STATUS,
                new String[] {DELIVERER}, instance); // after the releases, on the same connection: they are in when it answers
    }

    @Override
    public String mode() {
        return "redis: shared by every instance; " + (delivering ? "this instance delivers" : "another instance delivers");
    }
}
