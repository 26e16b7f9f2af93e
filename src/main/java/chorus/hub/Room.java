package chorus.hub;

import chorus.protocol.Shown;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import chorus.protocol.Frames;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import chorus.protocol.Lookalikes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One broadcast domain on this instance: its local members, the last messages, and who is here.
 *
 * <p>Only the room takes its lock. Under it, delivering, joining and leaving only decide: frames
 * are offered to members' queues (which never write or close) and the verdicts are collected;
 * after the lock is released the room acts on them ({@link Settlements}). That serialisation is
 * what gives every member the same order, and a joiner its history with no gap and no duplicate
 * at the seam. A room starts by loading what the backend holds (outside the lock); members who
 * join meanwhile wait and are admitted, with that history, when it arrives.
 */
public final class Room {
    /**
     * Presence changes within a window go out as one frame, so a crowd arriving is not n² frames.
     * The window grows with the room (a millisecond for every two members, from 100 ms to 2 s):
     * each member then gets at most a few presence frames a second however busy a big room is.
     */
    private static final long PRESENCE_DELAY_MIN_MS = 100;
    private static final long PRESENCE_DELAY_MAX_MS = 2_000;
    /**
     * Past this many people, presence is a count: a joiner's whole list would be tens of
     * kilobytes, and the changes more than anyone reads.
     */
    static final int MAX_LISTED = 1_000;

    private enum Phase { NEW, LOADING, LIVE, RETIRED }

    /** Who waits for the room to load: since, what a JSON member resumes after; joinedMs, when a plain one came. */
    private record Joiner(Member member, MessageId since, long joinedMs) {
    }

    /**
     * A plain member has no history, but everything sent once it joined is its: from a room that
     * loads while it waits, it gets what the load holds from this long before it came on (clocks of
     * instances differ by less; a message or two from just before is the price of none lost).
     */
    private static final long PLAIN_JOIN_SLACK_MS = 2_000;

    private final String name;
    private final Rooms shared;
    // Ids below it are from before this history began: a restart in memory, or a Redis that lost
    // the room's stream.
    @GuardedBy("this") private MessageId origin;

    // Written under this, read without it: copied on write, so presence and listing see a whole array.
    private volatile Member[] members = new Member[0];
    @GuardedBy("this") private final List<Joiner> waiting = new ArrayList<>();
    @GuardedBy("this") private final ArrayDeque<Message> history = new ArrayDeque<>();
    @GuardedBy("this") private final RefWindow refs = new RefWindow(System.currentTimeMillis()); // in memory only: Redis keeps its own
    @GuardedBy("this") private MessageId floor; // the newest id no longer held: a since below it missed messages
    @GuardedBy("this") private MessageId latest;
    @GuardedBy("this") private long sequence; // the last id this room numbered itself (in-memory backend)
    @GuardedBy("this") private long historyBytes; // the messages' and the refs' both
    private volatile long lastActiveNanos = System.nanoTime(); // written under this; read by the history budget
    @GuardedBy("this") private List<Shown> remoteNames = List.of(); // members on other instances, in Roster.SHOWN_ORDER
    @GuardedBy("this") private final Roster roster = new Roster(); // the local members' names
    @GuardedBy("this") private final NameClaims claims = new NameClaims();
    @GuardedBy("this") private boolean presencePending;
    @GuardedBy("this") private Set<Shown> listed; // what members were last told is here; null: nobody was told a list
    @GuardedBy("this") private int lastOnline = -1;
    @GuardedBy("this") private final Set<Member> fresh = new HashSet<>(); // joined since the last presence: owed the whole list
    @GuardedBy("this") private boolean localChanged; // the backend hears of this instance's names only when they changed
    private volatile Phase phase = Phase.NEW; // written under this; read without it by retired()
    private final CompletableFuture<Room> live = new CompletableFuture<>();

    private final String maker;

    Room(String name, Rooms shared) {
        this(name, shared, "");
    }

    /** A room brought into being by this client address ("api" for the operator's API): see {@link EmptyRooms}. */
    Room(String name, Rooms shared, String maker) {
        this.name = name;
        this.maker = maker;
        this.shared = shared;
        this.origin = shared.backend().origin();
        this.floor = origin;
    }

    public String name() {
        return name;
    }

    /** The client address that brought this room into being here ("api": the operator's API). */
    public String maker() {
        return maker;
    }

    /**
     * Numbers a message here, where the order is decided, and delivers it (the in-memory backend).
     * A resend of a (sender, ref) sent within the ref window is not delivered again: its id comes
     * back; one first sent before the window's refs are complete is refused ref-expired.
     */
    public Published append(Draft draft) {
        Settlements after = new Settlements();
        long start = System.nanoTime();
        int offered;
        MessageId id;
        synchronized (this) {
            MessageId seen = draft.dedupeKey() == null ? null : refs.get(draft.dedupeKey());
            if (seen != null) return new Published(seen, true);
            long now = System.currentTimeMillis();
            if (refs.mayBeForgotten(draft, now)) throw new Backend.RefExpired();
            id = new MessageId(origin.epoch(), ++sequence);
            offered = deliverLocked(Message.of(id, name, draft, now), after);
            if (draft.dedupeKey() != null) account(refs.put(draft.dedupeKey(), id, now));
        }
        settle(after, offered, start);
        return new Published(id, false);
    }

    /** Delivers one message ordered elsewhere (Redis), once: ids not above the latest are skipped. */
    public void deliver(Message message) {
        Settlements after = new Settlements();
        long start = System.nanoTime();
        int offered;
        synchronized (this) {
            if (latest != null && message.id().compareTo(latest) <= 0) return;
            offered = deliverLocked(message, after);
        }
        settle(after, offered, start);
    }

    @GuardedBy("this")
    private int deliverLocked(Message message, Settlements after) {
        remember(message);
        int offered = members.length;
        offerAllLocked(message.plain(), message.json(), after);
        return offered;
    }

    /** Offers a frame to every member reading its encoding (null: none); the too slow leave at once. */
    @GuardedBy("this")
    private void offerAllLocked(SharedFrame plain, SharedFrame json, Settlements after) {
        offerAllLocked(plain, json, Set.of(), null, after);
    }

    /** As above, except that JSON members in {@code fresh} are offered {@code freshJson} instead. */
    @GuardedBy("this")
    private void offerAllLocked(SharedFrame plain, SharedFrame json, Set<Member> fresh, SharedFrame freshJson, Settlements after) {
        Member[] current = members;
        after.expect(current.length);
        Member[] kept = null;
        List<Member> gone = null;
        int n = 0;
        for (int i = 0; i < current.length; i++) {
            Member member = current[i];
            SharedFrame frame = !member.json() ? plain : !fresh.isEmpty() && fresh.contains(member) ? freshJson : json;
            boolean stays = frame == null || after.add(member, member.offer(frame, false));
            if (!stays && kept == null) {
                kept = Arrays.copyOf(current, current.length);
                gone = new ArrayList<>();
                n = i;
            } else if (stays && kept != null) {
                kept[n++] = member;
            }
            if (!stays) gone.add(member);
        }
        if (kept != null) removeLocked(Arrays.copyOf(kept, n), gone);
    }

    private void settle(Settlements after, int offered, long start) {
        after.settle();
        shared.budget().enforce();
        shared.delivered().increment(offered);
        shared.slowDropped().increment(after.tooSlow());
        // One message in 16 is timed: a percentile histogram per message costs more than the fan-out it times.
        if (ThreadLocalRandom.current().nextInt(16) == 0) shared.fanOut().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /**
     * The stored history this room mirrors is over and another began, in epoch {@code began}
     * (Redis lost it, shed it, or it was deleted; epoch 0: none is held now): what is held is
     * dropped, a since from the old epoch can only get a reset, on every instance alike, and
     * members who may have seen what was lost are told so with a reset now.
     */
    public void rebase(MessageId began) {
        Settlements after = new Settlements();
        synchronized (this) {
            if (began.epoch() == origin.epoch()) return;
            boolean sawBefore = latest != null; // a room's first message begins its history: nothing is lost
            dropHistoryLocked();
            origin = began;
            floor = began;
            latest = null;
            if (sawBefore) resetAllLocked("unknown-since", null, after);
        }
        after.settle();
    }

    /**
     * The backend may have lost messages after the latest one held here before they could be read
     * (trimmed while this instance was not listening), and holds them from {@code next} on: the
     * history is dropped, since what follows would follow it without them, a since from before
     * {@code next} gets a reset, and members are told with a reset now.
     */
    public void gap(MessageId next) {
        Settlements after = new Settlements();
        synchronized (this) {
            dropHistoryLocked();
            if (next.compareTo(floor) > 0) floor = next;
            resetAllLocked("history-exceeded", next, after);
        }
        after.settle();
    }

    @GuardedBy("this")
    private void resetAllLocked(String reason, MessageId oldest, Settlements after) {
        offerAllLocked(null, SharedFrame.broadcast(Frames.reset(name, reason, oldest == null ? null : oldest.toString())), after);
    }

    @GuardedBy("this")
    private void dropHistoryLocked() {
        history.clear();
        refs.clear(System.currentTimeMillis());
        shared.budget().release(this, historyBytes, true);
        historyBytes = 0;
    }

    @GuardedBy("this")
    private void remember(Message message) {
        history.addLast(message);
        latest = message.id();
        lastActiveNanos = System.nanoTime();
        account(message.cost());
        if (history.size() > shared.historySize()) dropOldestLocked();
    }

    @GuardedBy("this")
    private long dropOldestLocked() {
        Message oldest = history.removeFirst();
        floor = oldest.id();
        account(-oldest.cost());
        return oldest.cost();
    }

    /** Counts bytes kept (positive) or let go (negative) here and in the history budget. */
    @GuardedBy("this")
    private void account(long change) {
        historyBytes += change;
        if (change > 0) shared.budget().charge(this, change);
        else shared.budget().release(this, -change, history.isEmpty() && refs.isEmpty());
    }

    /** Drops this room's oldest messages, about this many bytes' worth, for the history budget. */
    synchronized void shed(long bytes) {
        long freed = 0;
        while (freed < bytes && !history.isEmpty()) freed += dropOldestLocked();
        for (long ref; freed < bytes && (ref = refs.dropOldest()) > 0; freed += ref) account(-ref);
        shared.budget().evicted(freed);
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    /**
     * Adds a member: at once if the room is live, with its welcome and what it missed since the
     * given id; otherwise once the backend has loaded the room. False when the room was retired
     * meanwhile; the caller then joins a fresh one.
     */
    boolean join(Member member, MessageId since) {
        Settlements after = new Settlements();
        boolean load;
        boolean ahead = false;
        synchronized (this) {
            if (phase == Phase.RETIRED) return false;
            load = startLoadingLocked();
            if (phase == Phase.LIVE) {
                ahead = aheadLocked(since);
                admitLocked(member, since, after);
            } else {
                waiting.add(new Joiner(member, since, System.currentTimeMillis()));
            }
        }
        if (load) shared.backend().follow(this); // I/O, so never under the lock; it calls load()
        if (ahead) shared.backend().ahead(this, since);
        after.settle();
        return true;
    }

    /** Whether a since is of this room's epoch but past anything it holds: proof the store went back. */
    @GuardedBy("this")
    private boolean aheadLocked(MessageId since) {
        return since != null && since.epoch() == origin.epoch() && origin.epoch() != 0
                && since.compareTo(latest == null ? floor : latest) > 0;
    }

    /** Loads the room if nobody has yet (no member joins); completes once it is live. */
    CompletableFuture<Room> loaded() {
        boolean load;
        synchronized (this) {
            load = startLoadingLocked();
        }
        if (load) shared.backend().follow(this);
        return live;
    }

    /** True for the first who finds the room new: that caller has the backend load it. */
    @GuardedBy("this")
    private boolean startLoadingLocked() {
        if (phase != Phase.NEW) return false;
        phase = Phase.LOADING;
        return true;
    }

    /**
     * What the backend holds, oldest first, the id before them, and where its history began (null:
     * unknown): the room goes live.
     */
    public void load(List<Message> held, MessageId before, MessageId began) {
        Settlements after = new Settlements();
        MessageId ahead = null;
        synchronized (this) {
            if (phase != Phase.LOADING) return;
            if (began != null && began.epoch() != origin.epoch()) {
                origin = began;
                floor = began;
            }
            for (Message message : held) {
                if (latest == null || message.id().compareTo(latest) > 0) remember(message);
            }
            if (before != null && (floor == null || before.compareTo(floor) > 0)) floor = before;
            phase = Phase.LIVE;
            for (Joiner joiner : waiting) {
                if (aheadLocked(joiner.since())) ahead = joiner.since();
                admitLocked(joiner.member(), joiner.since(), after);
                if (!joiner.member().json()) {
                    for (Message message : history) {
                        if (message.ts() >= joiner.joinedMs() - PLAIN_JOIN_SLACK_MS) {
                            after.add(joiner.member(), joiner.member().offer(message.plain(), true));
                        }
                    }
                }
            }
            waiting.clear();
        }
        if (ahead != null) shared.backend().ahead(this, ahead);
        live.complete(this);
        after.settle();
        shared.budget().enforce();
    }

    @GuardedBy("this")
    private void admitLocked(Member member, MessageId since, Settlements after) {
        if (member.json()) {
            int online = roster.people(remoteNames) + (roster.has(member.person()) ? 0 : 1);
            Member.Offer verdict = member.offer(new SharedFrame(Frames.welcome(member.session(), member.name(), member.user(), name,
                    shared.pace(), online)), true);
            if (verdict == Member.Offer.GONE) return; // closed before it got here: never a member
            after.add(member, verdict);
            replay(member, since);
        } else if (member.closed()) {
            return; // closed before it got here: never a member
        }
        Member[] next = Arrays.copyOf(members, members.length + 1);
        next[members.length] = member;
        members = next;
        roster.add(shown(member));
        if (member.json()) fresh.add(member);
        shared.members().incrementAndGet();
        localChangedLocked();
    }

    @GuardedBy("this")
    private void replay(Member member, MessageId since) {
        Replay replay = replayLocked(since, Integer.MAX_VALUE);
        if (replay.reset() != null) member.offer(new SharedFrame(Frames.reset(name, replay.reset(), replay.oldest())), true);
        for (Message message : replay.messages()) member.offer(message.json(), true);
    }

    /** What a client resuming after {@code since} is owed: a reset if it cannot be honoured, then messages. */
    public record Replay(String reset, String oldest, List<Message> messages) {
    }

    @GuardedBy("this")
    private Replay replayLocked(MessageId since, int limit) {
        MessageId after = null;
        String reset = null;
        String oldest = history.isEmpty() ? null : history.peekFirst().id().toString();
        if (since != null) {
            if (since.compareTo(origin) < 0 || since.compareTo(latest == null ? floor : latest) > 0) {
                reset = "unknown-since";
            } else if (since.compareTo(floor) < 0) {
                reset = "history-exceeded";
            } else {
                after = since;
            }
        }
        List<Message> messages = new ArrayList<>();
        for (Message message : history) {
            if (messages.size() >= limit) break;
            if (after == null || message.id().compareTo(after) > 0) messages.add(message);
        }
        return new Replay(reset, oldest, messages);
    }

    /** The newest {@code count} messages held, oldest first. */
    public synchronized Replay newest(int count) {
        List<Message> messages = new ArrayList<>(history).subList(Math.max(0, history.size() - count), history.size());
        return new Replay(null, history.isEmpty() ? null : history.peekFirst().id().toString(), List.copyOf(messages));
    }

    /** The history as a client resuming after {@code since} would get it, at most limit messages. */
    public synchronized Replay replay(MessageId since, int limit) {
        return replayLocked(since, limit);
    }

    /** Who is here, and what the room holds. */
    public record Summary(List<Member> members, int messages, MessageId newest) {
    }

    public synchronized Summary summary() {
        return new Summary(List.of(members), history.size(), latest);
    }

    /**
     * Closes the room for good: every member and waiting joiner is closed with this code and
     * reason, and the history is dropped. The hub has already forgotten the room.
     */
    int close(int code, String reason) {
        List<Member> closing = new ArrayList<>();
        synchronized (this) {
            phase = Phase.RETIRED;
            closing.addAll(List.of(members));
            for (Joiner joiner : waiting) closing.add(joiner.member());
            waiting.clear();
            shared.members().addAndGet(-members.length);
            members = new Member[0];
            roster.clear();
            fresh.clear();
            claims.clear();
            dropHistoryLocked();
        }
        for (Member member : closing) member.putOut(code, reason);
        return closing.size();
    }

    /** Removes a member, or a joiner still waiting for the room to load; safe to call twice. */
    void leave(Member member) {
        synchronized (this) {
            waiting.removeIf(joiner -> joiner.member() == member);
            Member[] current = members;
            int at = Arrays.asList(current).indexOf(member);
            if (at < 0) return;
            Member[] next = new Member[current.length - 1];
            System.arraycopy(current, 0, next, 0, at);
            System.arraycopy(current, at + 1, next, at, current.length - at - 1);
            removeLocked(next, List.of(member));
        }
    }

    @GuardedBy("this")
    private void removeLocked(Member[] remaining, List<Member> gone) {
        members = remaining;
        for (Member member : gone) roster.remove(shown(member));
        shared.members().addAndGet(-gone.size());
        if (remaining.length == 0) shared.emptied().add(this);
        localChangedLocked();
    }

    /** Offers an ephemeral frame (someone typing) to every JSON member here; nothing is kept. */
    public void ephemeral(ByteBuffer frame) {
        Settlements after = new Settlements();
        synchronized (this) {
            offerAllLocked(null, SharedFrame.broadcast(frame), after);
        }
        after.settle();
    }

    /** The names of this room's members on other instances, as the backend last saw them (one per socket). */
    public void remotePresence(List<Shown> names) {
        // Sorting and the look-alike keys cost the most: outside the lock. One person's tabs showing one name are one entry.
        List<Shown> sorted = names.stream().distinct().sorted(Roster.SHOWN_ORDER).toList();
        Map<String, List<Shown>> byKey = new HashMap<>();
        for (Shown shown : sorted) {
            for (String key : Lookalikes.keys(shown.name())) byKey.computeIfAbsent(key, k -> new ArrayList<>(1)).add(shown);
        }
        synchronized (this) {
            claims.elsewhere(byKey);
            if (sorted.equals(remoteNames)) return;
            remoteNames = sorted;
            presenceChangedLocked();
        }
    }

    enum Claimed { YES, TAKEN, RETIRED }

    /**
     * Holds a name for a person who is about to join, unless another person here or elsewhere
     * shows one alike. A verified user's claim displaces anonymous holders here, and a client
     * reconnecting replaces its older sessions here: those members are closed, after the lock.
     */
    Claimed claim(Claim claim) {
        Set<String> displaced = new HashSet<>();
        List<Member> closing = new ArrayList<>();
        synchronized (this) {
            if (phase == Phase.RETIRED) return Claimed.RETIRED;
            // Only a tab coming back has an older socket here: no scan of a big room per join.
            boolean returning = claim.tab() != null && claims.holdsTab(claim.tab());
            if (!claims.claim(claim, displaced)) return Claimed.TAKEN;
            if (!returning && displaced.isEmpty()) return Claimed.YES;
            for (Member member : members) {
                if (displaced.contains(member.person()) || returning && claim.tab().equals(member.claim().tab())) closing.add(member);
            }
        }
        for (Member member : closing) {
            if (displaced.contains(member.person())) member.putOut(CloseCodes.NAME_TAKEN, CloseCodes.NAME_TAKEN_REASON);
            else member.putOut(CloseCodes.REPLACED, CloseCodes.REPLACED_REASON);
        }
        return Claimed.YES;
    }

    /** Whether the claim would stand now (nothing is held). */
    synchronized boolean free(Claim claim) {
        return claims.free(claim, new ArrayList<>());
    }

    /** Lets go of a name; true when nobody is here, waiting or holding a name any more. */
    synchronized boolean release(Claim claim) {
        claims.release(claim);
        return members.length == 0 && waiting.isEmpty() && claims.isEmpty();
    }

    /** A member shows another name: false, and nothing changes, when another person shows one alike. */
    boolean rename(Member member, Claim before, Claim after) {
        Set<String> displaced = new HashSet<>();
        List<Member> closing = new ArrayList<>();
        synchronized (this) {
            if (phase == Phase.RETIRED || !claims.claim(after, displaced)) return false;
            claims.release(before);
            member.rename(after);
            if (Arrays.asList(members).contains(member)) { // else it is admitted later, under its new name
                roster.remove(new Shown(before.name(), before.user(), before.person()));
                roster.add(new Shown(after.name(), after.user(), after.person()));
                localChangedLocked();
            }
            for (Member other : members) if (displaced.contains(other.person())) closing.add(other);
        }
        for (Member other : closing) other.putOut(CloseCodes.NAME_TAKEN, CloseCodes.NAME_TAKEN_REASON);
        return true;
    }

    /** The local members' names, one per session, and who shows them. */
    public List<Shown> localNames() {
        return Arrays.stream(members).map(Room::shown).toList();
    }

    private static Shown shown(Member member) {
        Claim claim = member.claim();
        return new Shown(claim.name(), claim.user(), claim.person());
    }

    @GuardedBy("this")
    private void localChangedLocked() {
        localChanged = true;
        presenceChangedLocked();
    }

    @GuardedBy("this")
    private void presenceChangedLocked() {
        if (presencePending || phase == Phase.RETIRED) return;
        presencePending = true;
        long delay = Math.min(PRESENCE_DELAY_MAX_MS, Math.max(PRESENCE_DELAY_MIN_MS, (members.length + remoteNames.size()) / 2));
        shared.timer().schedule(this::sendPresence, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * Presence after a window of changes: members who joined meanwhile get the whole list, the
     * others what changed (who came, who went; a rename is both); past {@link #MAX_LISTED} people,
     * everyone gets the count alone.
     */
    private void sendPresence() {
        Settlements after = new Settlements();
        List<Shown> local;
        synchronized (this) {
            presencePending = false;
            local = localChanged ? localNames() : null;
            localChanged = false;
            int online = roster.people(remoteNames);
            if (online > MAX_LISTED) {
                listed = null;
                SharedFrame count = SharedFrame.broadcast(Frames.presenceCount(name, online));
                offerAllLocked(null, online == lastOnline ? null : count, fresh, count, after);
            } else {
                List<Shown> shown = roster.shown(remoteNames);
                SharedFrame whole = SharedFrame.broadcast(Frames.presence(name, online, shown));
                offerAllLocked(null, listed == null ? whole : changeLocked(shown, online), fresh, whole, after);
                listed = new HashSet<>(shown);
            }
            lastOnline = online;
            fresh.clear();
        }
        after.settle();
        if (local != null) shared.backend().presence(this, local);
    }

    /** Who came and went since the last list, or null when nothing did. */
    @GuardedBy("this")
    private SharedFrame changeLocked(List<Shown> shown, int online) {
        Set<Shown> before = listed;
        List<Shown> joined = shown.stream().filter(s -> !before.contains(s)).toList();
        Set<Shown> now = new HashSet<>(shown);
        List<Shown> left = before.stream().filter(s -> !now.contains(s)).sorted(Roster.SHOWN_ORDER).toList();
        if (joined.isEmpty() && left.isEmpty() && online == lastOnline) return null;
        return SharedFrame.broadcast(Frames.presenceChange(name, online, joined, left));
    }

    /** Marks an empty room retired, so it can be forgotten; false if someone is here or waiting. */
    synchronized boolean retireIfEmpty() {
        if (members.length == 0 && waiting.isEmpty() && claims.isEmpty() && phase != Phase.RETIRED) {
            phase = Phase.RETIRED;
            dropHistoryLocked();
        }
        return phase == Phase.RETIRED;
    }

    Member[] members() {
        return members;
    }

    /** True once the room was forgotten or closed: a backend stops following it. */
    public boolean retired() {
        return phase == Phase.RETIRED;
    }
}
