package chorus.webhooks;

import static chorus.webhooks.Events.data;

import chorus.hub.Activity;
import chorus.hub.Draft;
import chorus.hub.Published;
import chorus.hub.Room;
import chorus.protocol.Shown;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The hub's activity as webhook events: message.created; member.joined and member.left (people,
 * not sockets, coalesced like presence); room.occupied and room.vacated; user.online, and
 * user.offline only once a person has been in no room for OFFLINE_GRACE, so a reload or a
 * reconnect is not an offline. These count the people of this instance (docs/WEBHOOKS.md).
 */
public final class WebhookActivity implements Activity {
    private final Webhooks webhooks;
    private final Events events;
    private final ScheduledExecutorService timer;
    private final long graceMs;
    @GuardedBy("this") private final Map<String, Integer> rooms = new HashMap<>(); // person → rooms it is in here
    @GuardedBy("this") private final Map<String, ScheduledFuture<?>> leaving = new HashMap<>(); // person → its offline, once the grace is over

    public WebhookActivity(Webhooks webhooks, Events events, ScheduledExecutorService timer, Duration grace) {
        this.webhooks = webhooks;
        this.events = events;
        this.timer = timer;
        this.graceMs = grace.toMillis();
    }

    @Override
    public void published(Room room, Draft draft, Published published) {
        String client = draft.sender() != null && draft.sender().startsWith("client:") ? draft.sender().substring("client:".length()) : null;
        webhooks.emit(events.make("message.created", room.name(), data("room", room.name(), "id", published.id().toString(),
                "text", draft.text(), "from", draft.from(), "user", draft.user(), "session", draft.session(), "client", client)));
    }

    @Override
    public synchronized void people(Room room, List<Shown> came, List<Shown> went, int before, int after) {
        String name = room.name();
        if (before == 0 && after > 0) webhooks.emit(events.make("room.occupied", name, data("room", name, "people", after)));
        for (Shown person : came) webhooks.emit(events.make("member.joined", name, member(name, person)));
        for (Shown person : went) webhooks.emit(events.make("member.left", name, member(name, person)));
        if (before > 0 && after == 0) webhooks.emit(events.make("room.vacated", name, data("room", name)));
        for (Shown person : came) {
            if (rooms.merge(person.person(), 1, Integer::sum) > 1) continue;
            ScheduledFuture<?> offline = leaving.remove(person.person());
            if (offline != null) offline.cancel(false); // back within the grace: never offline
            else webhooks.emit(events.make("user.online", person.person(), who(person)));
        }
        for (Shown person : went) {
            if (rooms.merge(person.person(), -1, Integer::sum) > 0) continue;
            rooms.remove(person.person());
            leaving.put(person.person(), timer.schedule(() -> offline(person), graceMs, TimeUnit.MILLISECONDS));
        }
    }

    /** The grace is over: still in no room, the person is offline. */
    private synchronized void offline(Shown person) {
        if (leaving.remove(person.person()) == null || rooms.containsKey(person.person())) return;
        webhooks.emit(events.make("user.offline", person.person(), who(person)));
    }

    private static Map<String, Object> member(String room, Shown person) {
        Map<String, Object> data = data("room", room);
        data.putAll(who(person));
        return data;
    }

    /** A person: its key (user:, person:, client: or session:), its verified user id if any, and a name it shows. */
    private static Map<String, Object> who(Shown person) {
        return data("person", person.person(), "user", person.user(), "name", person.name());
    }
}
