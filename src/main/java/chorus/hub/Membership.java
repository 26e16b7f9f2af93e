package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.Shown;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who is in a room: its members here (a socket's place in the room each), the names they hold
 * ({@link NameClaims}) and show ({@link Roster}), who is in it on other instances, and what the
 * members were last told of all that (presence: a whole list first, then what changed, or a count
 * in a crowd). Not thread-safe: the room's lock guards it; only the members array is read
 * without it (copied on write, so a reader sees a whole one).
 */
final class Membership {
    /**
     * Past this many people, presence is a count: a joiner's whole list would be tens of
     * kilobytes, and the changes more than anyone reads.
     */
    static final int MAX_LISTED = 1_000;

    /** Who came and went here since the last time asked (people, not sockets), and how many were here before and after. */
    record People(List<Shown> came, List<Shown> went, int before, int after) {
        boolean isEmpty() {
            return came.isEmpty() && went.isEmpty();
        }
    }

    /** One round of presence: what most members get (null: nothing), and what those who joined since the last get. */
    record Round(SharedFrame others, SharedFrame fresh, Set<Member> joined) {
    }

    private volatile Member[] members = new Member[0];
    private final Roster roster = new Roster(); // the local members' names
    private final NameClaims claims = new NameClaims();
    private List<Shown> remote = List.of(); // members on other instances, one entry per person and name, in Roster.SHOWN_ORDER
    private Set<Shown> listed; // what members were last told is here; null: nobody was told a list
    private int lastOnline = -1;
    private final Set<Member> fresh = new HashSet<>(); // joined since the last presence: owed the whole list
    private boolean localChanged; // the backend hears of this instance's names only when they changed
    private Map<String, Shown> announced = Map.of(); // the people here as the last People told

    Member[] members() {
        return members;
    }

    NameClaims claims() {
        return claims;
    }

    void add(Member member) {
        Member[] next = Arrays.copyOf(members, members.length + 1);
        next[members.length] = member;
        members = next;
        roster.add(shown(member));
        if (member.json()) fresh.add(member);
        localChanged = true;
    }

    /** The members left after some went. */
    void remove(Member[] remaining, List<Member> gone) {
        members = remaining;
        for (Member member : gone) roster.remove(shown(member));
        localChanged = true;
    }

    /** A member here shows another name (one not admitted yet is admitted under it later). */
    void renamed(Member member, Claim before, Claim after) {
        if (!Arrays.asList(members).contains(member)) return;
        roster.remove(new Shown(before.name(), before.user(), before.person()));
        roster.add(new Shown(after.name(), after.user(), after.person()));
        localChanged = true;
    }

    /** Other instances' members changed to these (sorted, one per person and name; by look-alike key): false if they did not. */
    boolean remote(List<Shown> sorted, Map<String, List<Shown>> byKey) {
        claims.elsewhere(byKey);
        if (sorted.equals(remote)) return false;
        remote = sorted;
        return true;
    }

    /** How many people are here, counting one about to join. */
    int online(Member joining) {
        return roster.people(remote) + (roster.has(joining.person()) ? 0 : 1);
    }

    /** How many members here and elsewhere, for the presence window. */
    int size() {
        return members.length + remote.size();
    }

    /** The local members' names, one per member, when they changed since last asked; else null. */
    List<Shown> localChange() {
        if (!localChanged) return null;
        localChanged = false;
        return localNames();
    }

    List<Shown> localNames() {
        return Arrays.stream(members).map(Membership::shown).toList();
    }

    private static Shown shown(Member member) {
        Claim claim = member.claim();
        return new Shown(claim.name(), claim.user(), claim.person());
    }

    /**
     * The next round of presence for the room: members who joined since the last get the whole
     * list, the others what changed (who came, who went; a rename is both); past {@link
     * #MAX_LISTED} people, everyone gets the count alone.
     */
    Round presence(String room) {
        int online = roster.people(remote);
        Set<Member> joined = new HashSet<>(fresh);
        fresh.clear();
        Round round;
        if (online > MAX_LISTED) {
            listed = null;
            SharedFrame count = SharedFrame.broadcast(Frames.presenceCount(room, online));
            round = new Round(online == lastOnline ? null : count, count, joined);
        } else {
            List<Shown> shown = roster.shown(remote);
            SharedFrame whole = SharedFrame.broadcast(Frames.presence(room, online, shown));
            round = new Round(listed == null ? whole : change(room, shown, online), whole, joined);
            listed = new HashSet<>(shown);
        }
        lastOnline = online;
        return round;
    }

    /** Who came and went since the last list, or null when nothing did. */
    private SharedFrame change(String room, List<Shown> shown, int online) {
        Set<Shown> before = listed;
        List<Shown> came = shown.stream().filter(s -> !before.contains(s)).toList();
        Set<Shown> now = new HashSet<>(shown);
        List<Shown> went = before.stream().filter(s -> !now.contains(s)).sorted(Roster.SHOWN_ORDER).toList();
        if (came.isEmpty() && went.isEmpty() && online == lastOnline) return null;
        return SharedFrame.broadcast(Frames.presenceChange(room, online, came, went));
    }

    /** Who came and went since the last time asked. */
    People people() {
        Map<String, Shown> now = roster.people();
        List<Shown> came = now.entrySet().stream().filter(e -> !announced.containsKey(e.getKey())).map(Map.Entry::getValue).toList();
        List<Shown> went = announced.entrySet().stream().filter(e -> !now.containsKey(e.getKey())).map(Map.Entry::getValue).toList();
        People people = new People(came, went, announced.size(), now.size());
        announced = now;
        return people;
    }

    /** Everyone goes (the room is closed): the members who were here. */
    List<Member> clear() {
        List<Member> were = List.of(members);
        members = new Member[0];
        roster.clear();
        claims.clear();
        fresh.clear();
        return were;
    }

    boolean isEmpty() {
        return members.length == 0 && claims.isEmpty();
    }
}
