package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.Pace;
import chorus.protocol.Lookalikes;
import chorus.protocol.MessageId;
import chorus.protocol.Names;
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
 * MAX_IDLE_ROOMS rooms sit empty, when one of the address that made the most is forgotten; that
 * happens here, on the joining or leaving thread, with no room's lock held.
 */
public final class Hub {
    private static final int MAX_GUEST_ATTEMPTS = 20;

    private final Rooms shared;
    private final int maxIdleRooms; // empty rooms kept for their history, past which the ones of the address with most go
    private final Counter received;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final EmptyRooms emptied = new EmptyRooms();
    private final AtomicInteger members = new AtomicInteger();
    private final int maxRooms;

    public Hub(Backend backend, int historySize, long historyBytes, Pace pace, int maxRooms, int maxIdleRooms,
            ScheduledExecutorService timer, Activity activity, MeterRegistry registry) {
        this.maxRooms = maxRooms;
        this.maxIdleRooms = maxIdleRooms;
        this.received = Counter.builder("chorus.messages.received").description("messages accepted and broadcast")
                .register(registry);
        Counter slowDropped = Counter.builder("chorus.slow.clients.dropped").description("clients closed as too slow")
                .register(registry);
        this.shared = new Rooms(backend, historySize, pace, new HistoryBudget(historyBytes, registry), timer, members, emptied,
                Counter.builder("chorus.messages.delivered").description("messages queued to a recipient")
                        .register(registry),
                slowDropped,
                Timer.builder("chorus.broadcast.latency")
                        .description("time to queue one message to every member of its room on this instance")
                        .publishPercentileHistogram().register(registry), activity);
        Gauge.builder("chorus.members", members, AtomicInteger::get).description("room memberships here: a socket in several rooms counts in each")
                .register(registry);
        Gauge.builder("chorus.rooms", rooms, Map::size).description("rooms held here, empty ones kept for their history included")
                .register(registry);
    }

    /**
     * Holds a name in a room for a person about to join it (null: a free guest name), making the
     * room if need be; throws when another person there shows a name alike. The look-alike keys
     * are worked out here, before any lock.
     */
    public Claim claim(String roomName, String maker, Person who, String name) throws Claim.Taken {
        forgetIdleRooms();
        for (int attempt = 0; ; attempt++) {
            String shown = name != null ? name : Names.guest(who.key(), attempt);
            Room room = rooms.computeIfAbsent(roomName, n -> new Room(n, shared, maker));
            Claim claim = new Claim(room, who, shown, Lookalikes.keys(shown));
            switch (room.claim(claim)) {
                case YES -> {
                    return claim;
                }
                case RETIRED -> { // the next turn makes a fresh one; whoever takes it out of the map unfollows it, once
                    if (rooms.remove(roomName, room)) shared.backend().unfollow(room);
                }
                case TAKEN -> {
                    if (name != null || attempt >= MAX_GUEST_ATTEMPTS) throw new Claim.Taken(shown);
                }
            }
        }
    }

    /** Whether a person could join the room under this name now. */
    public boolean nameFree(String roomName, Person who, String name) {
        Room room = rooms.get(roomName);
        return room == null || room.free(new Claim(room, who, name, Lookalikes.keys(name)));
    }

    /** Lets go of a name: the socket closed, or its upgrade failed. */
    public void release(Claim claim) {
        if (claim.room().release(claim)) emptied.add(claim.room()); // a room made for an upgrade that failed
        forgetIdleRooms();
    }

    /** A member asks to show another name: the new claim, or null when another person shows one alike. */
    public Claim rename(Member member, Claim before, String name) {
        Claim after = new Claim(before.room(), before.who(), name, Lookalikes.keys(name));
        return before.room().rename(member, before, after) ? after : null;
    }

    /**
     * Joins the room its claim is in; a JSON member gets its welcome and what it missed since the
     * given id. An operator who closed the room meanwhile closes the member too.
     */
    public Room join(Member member, Claim claim, MessageId since) {
        if (!claim.room().join(member, since)) member.putOut(CloseCodes.ROOM_CLOSED, CloseCodes.ROOM_CLOSED_REASON);
        return claim.room();
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

    /** Forgets a member and lets go of its name; safe to call more than once, and before its join completed. */
    public void leave(Room room, Member member) {
        room.release(member.claim()); // the name first, so a room left empty is one nobody holds a name in
        room.leave(member);
        forgetIdleRooms();
    }

    /** Orders a message through the backend; completes with its id. */
    public CompletionStage<Published> publish(Room room, Draft draft) {
        received.increment();
        return shared.backend().publish(room, draft).whenComplete((published, failure) -> {
            if (failure == null && !published.duplicate()) shared.activity().published(room, draft, published);
        });
    }

    /** Relays that a member is typing to its room everywhere: never stored, never replayed. */
    public void typing(Member member) {
        Room room = member.claim().room();
        shared.backend().ephemeral(room, Frames.typing(room.name(), member.name(), member.user(), member.session()));
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
            return new Room(n, shared, "api");
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

    /** Closes a room here: its members are closed with the code and reason, its history dropped; answers how many. */
    public int closeRoom(String name, int code, String reason) {
        Room room = rooms.remove(name);
        if (room == null) return 0;
        int closed = room.close(code, reason);
        shared.backend().unfollow(room);
        return closed;
    }

    /** The member with this session here, if any. */
    public Member member(String session) {
        for (Room room : rooms.values()) {
            for (Member member : room.members()) if (member.session().equals(session)) return member;
        }
        return null;
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
        while ((oldest = emptied.pollBeyond(maxIdleRooms)) != null) {
            forgetIfEmpty(oldest);
        }
    }

    public void stop() {
        shared.backend().stop();
    }

    /** Room memberships on this instance (a socket in several rooms counts in each). */
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
