package chorus.hub;

import chorus.protocol.MessageId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;


/**
 * Owns the rooms on this instance and who is in them; knows nothing of sockets.
 *
 * <p>Rooms are made on first use. A room that went empty keeps its history until more than
 * {@link #MAX_IDLE_ROOMS} rooms sit empty, when the longest-empty ones are forgotten; that
 * happens here, on the joining or leaving thread, with no room's lock held.
 */
public final class Hub {
    static final int MAX_IDLE_ROOMS = 1000;

    private final Rooms shared;
    private final Counter received;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final EmptyRooms emptied = new EmptyRooms();
    private final AtomicInteger members = new AtomicInteger();
    private final int maxRooms;

    public Hub(Backend backend, int historySize, long historyBytes, int messageLimit, int maxRooms, ScheduledExecutorService timer,
            MeterRegistry registry) {
        this.maxRooms = maxRooms;
        this.received = Counter.builder("chorus.messages.received").description("messages accepted and broadcast")
                .register(registry);
        Counter slowDropped = Counter.builder("chorus.slow.clients.dropped").description("clients closed as too slow")
                .register(registry);
        this.shared = new Rooms(backend, historySize, messageLimit, new HistoryBudget(historyBytes, registry), timer, members, emptied,
                Counter.builder("chorus.messages.delivered").description("messages queued to a recipient")
                        .register(registry),
                slowDropped,
                Timer.builder("chorus.broadcast.latency")
                        .description("time to queue one message to every member of its room on this instance")
                        .publishPercentileHistogram().register(registry));
        Gauge.builder("chorus.members", members, AtomicInteger::get).description("sockets that are members of a room")
                .register(registry);
        Gauge.builder("chorus.rooms", rooms, Map::size).description("rooms held here, empty ones kept for their history included")
                .register(registry);
    }

    /** Joins a room; a JSON member gets its welcome and what it missed since the given id. */
    public Room join(Member member, String roomName, MessageId since) {
        forgetIdleRooms();
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, name -> new Room(name, shared));
            if (room.join(member, since)) return room;
            // Retired meanwhile: the next turn makes a fresh one. Whoever takes a retired room out
            // of the map stops following it, so it is done once, whichever thread gets there first.
            if (rooms.remove(roomName, room)) shared.backend().unfollow(room);
        }
    }

    /** Whether a room of that name is here. */
    public boolean has(String roomName) {
        return rooms.containsKey(roomName);
    }

    /**
     * Whether one more room fits MAX_ROOMS, forgetting the longest-empty room to make space if
     * need be. A soft cap: joins racing for the last place may pass it by a few.
     */
    public boolean spaceFor(String roomName) {
        while (rooms.size() >= maxRooms && !rooms.containsKey(roomName)) {
            Room oldest = emptied.pollBeyond(0);
            if (oldest == null) return false;
            forgetIfEmpty(oldest);
        }
        return true;
    }

    /** Forgets a member; safe to call more than once, and before its join completed. */
    public void leave(Room room, Member member) {
        room.leave(member);
        forgetIdleRooms();
    }

    /** Orders a message through the backend; completes with its id. */
    public CompletionStage<Published> publish(Room room, Draft draft) {
        received.increment();
        return shared.backend().publish(room, draft);
    }

    /** Publishes into a room by name, as a member of it would (the HTTP API); joins nobody. */
    public CompletionStage<Published> publish(String roomName, Draft draft) {
        return publish(roomWithoutJoining(roomName), draft);
    }

    /** The room of that name, loaded from the backend if it is not here yet (nobody joins). */
    public CompletionStage<Room> loaded(String name) {
        return roomWithoutJoining(name).loaded();
    }

    /** The room of that name, made if need be; one made here with nobody in it is kept like any empty room. */
    private Room roomWithoutJoining(String name) {
        forgetIdleRooms();
        boolean[] made = {false};
        Room room = rooms.computeIfAbsent(name, n -> {
            made[0] = true;
            return new Room(n, shared);
        });
        if (made[0]) emptied.add(room); // then forgotten past the limit, unless someone joins
        return room;
    }

    /** Rooms with members here, and how many. */
    public Map<String, Integer> occupied() {
        Map<String, Integer> occupied = new TreeMap<>();
        for (Room room : rooms.values()) {
            int n = room.members().length;
            if (n > 0) occupied.put(room.name(), n);
        }
        return occupied;
    }

    /** Closes a room here: its members are closed with the code and reason, its history dropped. */
    public void closeRoom(String name, int code, String reason) {
        Room room = rooms.remove(name);
        if (room == null) return;
        room.close(code, reason);
        shared.backend().unfollow(room);
    }

    /** The member with this session here, if any. */
    public Member member(String session) {
        for (Room room : rooms.values()) {
            for (Member member : room.members()) if (member.session().equals(session)) return member;
        }
        return null;
    }

    /** A member of the room now shows another name than {@code before}. */
    public void renamed(Room room, Member member, String before) {
        room.renamed(member, before);
    }

    /** Why the backend cannot take messages, or null: /health then says degraded, and why. */
    public String backendProblem() {
        return shared.backend().problem();
    }

    /** Forgets a room that is still empty: one joined again since it went empty is busy, not forgotten. */
    private void forgetIfEmpty(Room room) {
        if (room.retireIfEmpty() && rooms.remove(room.name(), room)) shared.backend().unfollow(room);
    }

    private void forgetIdleRooms() {
        Room oldest;
        while ((oldest = emptied.pollBeyond(MAX_IDLE_ROOMS)) != null) {
            forgetIfEmpty(oldest);
        }
    }

    public void stop() {
        shared.backend().stop();
    }

    /** Members of a room on this instance: /health's "connections", meaning "receiving". */
    public int size() {
        return members.get();
    }

    public long slowClientsDropped() {
        return (long) shared.slowDropped().count();
    }

    /** Every member of every room here. */
    public List<Member> members() {
        List<Member> all = new ArrayList<>();
        for (Room room : rooms.values()) all.addAll(List.of(room.members()));
        return all;
    }
}
