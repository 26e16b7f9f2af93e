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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub's activity as webhook events: message.created; and through the {@link Ledger}, counted
 * over every instance, room.occupied and room.vacated, member.joined and member.left (people, not
 * sockets, coalesced like presence), user.online, and user.offline only once a person has been in
 * no room anywhere for OFFLINE_GRACE, so a reload, a reconnect or a deploy is not an offline; a
 * member leaving and a room emptying wait {@link #LEAVE_GRACE} (at most), long enough for a
 * client to reconnect after a deploy.
 */
public final class WebhookActivity implements Activity {
    private final Webhooks webhooks;
    private final Events events;
    private final Ledger ledger;
    private static final Duration LEAVE_GRACE = Duration.ofSeconds(5);
    private final Duration grace;
    private final Duration leaveGrace;
    @GuardedBy("this") private final Map<String, Integer> rooms = new HashMap<>(); // person → rooms it is in here

    public WebhookActivity(Webhooks webhooks, Events events, Ledger ledger, Duration grace) {
        this.webhooks = webhooks;
        this.events = events;
        this.ledger = ledger;
        this.grace = grace;
        this.leaveGrace = grace.compareTo(LEAVE_GRACE) < 0 ? grace : LEAVE_GRACE;
    }

    @Override
    public void published(Room room, Draft draft, Published published) {
        String client = draft.sender() != null && draft.sender().startsWith("client:") ? draft.sender().substring("client:".length()) : null;
        Event event = events.make("message.created", room.name(), data("room", room.name(), "id", published.id().toString(),
                "text", draft.text(), "from", draft.from(), "user", draft.user(), "session", draft.session(), "client", client));
        if (event != null) webhooks.emit(event.inOrder(published.id()));
    }

    /** In the order a receiver expects: occupied, joined, left, vacated; then online and offline. Held and let go in call order. */
    @Override
    public synchronized void people(Room room, List<Shown> came, List<Shown> went, int before, int after) {
        String name = room.name();
        Map<String, Shown> arrived = byPerson(came);
        Map<String, Shown> departed = byPerson(went);
        for (String renamed : List.copyOf(arrived.keySet())) { // a new name is no new member
            if (departed.remove(renamed) != null) arrived.remove(renamed);
        }
        String here = "room\0" + name;
        Change vacated = new Change("room.vacated", name, data("room", name));
        if (before == 0 && after > 0) ledger.hold(here, new Change("room.occupied", name, data("room", name)), vacated, leaveGrace);
        for (Shown person : arrived.values()) {
            ledger.hold(member(name, person), change("member.joined", name, person), change("member.left", name, person), leaveGrace);
        }
        for (Shown person : departed.values()) ledger.release(member(name, person), change("member.left", name, person), leaveGrace);
        if (before > 0 && after == 0) ledger.release(here, vacated, leaveGrace);
        for (Shown person : arrived.values()) {
            if (rooms.merge(person.person(), 1, Integer::sum) > 1) continue;
            ledger.hold("person\0" + person.person(), change("user.online", person.person(), person),
                    change("user.offline", person.person(), person), grace);
        }
        for (Shown person : departed.values()) {
            if (rooms.merge(person.person(), -1, Integer::sum) > 0) continue;
            rooms.remove(person.person());
            ledger.release("person\0" + person.person(), change("user.offline", person.person(), person), grace);
        }
    }

    private static Map<String, Shown> byPerson(List<Shown> people) {
        Map<String, Shown> byPerson = new LinkedHashMap<>();
        for (Shown person : people) byPerson.put(person.person(), person);
        return byPerson;
    }

    private static String member(String room, Shown person) {
        return "member\0" + room + "\0" + person.person();
    }

    /** An event about a person, in its room's line (member.*) or its own: who it is, its verified user id if any, a name it shows. */
    private static Change change(String type, String key, Shown person) {
        Map<String, Object> data = type.startsWith("member.") ? data("room", key) : data();
        data.putAll(data("person", person.person(), "user", person.user(), "name", person.name()));
        return new Change(type, key, data);
    }
}
