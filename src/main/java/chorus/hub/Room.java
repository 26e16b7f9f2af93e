package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.Lookalikes;
import chorus.protocol.MessageId;
import chorus.protocol.Shown;
import chorus.tasks.Threads;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One broadcast domain on this instance: a {@link History} and a {@link Membership}, composed
 * under the room's lock, and the room's life (loading, live, retired).
 *
 * <p>Only the room takes its lock. Under it, delivering, joining and leaving only decide: frames
 * are offered to members' queues (which never write or close) and the verdicts are collected;
 * after the lock is released the room acts on them ({@link Settlements}). That serialisation is
 * what gives every member the same order, and a joiner its history with no gap and no duplicate
 * at the seam. A room starts by loading what the backend holds (outside the lock); members who
 * join meanwhile wait and are admitted, with that history, when it arrives.
 *
 * <p>Threads: joins, leaves, claims, renames, sends and typing come on Jetty's threads (a
 * socket's frames); {@link #deliver}, {@link #load}, {@link #rebase}, {@link #gap} and {@link
 * #remotePresence} on the backend's (Redis's feed thread); presence on the timer's; {@link
 * #shed} on whichever thread enforces the history budget. Every one of them takes the lock.
 */
public final class Room {
    /**
     * Presence changes within a window go out as one frame, so a crowd arriving is not n² frames.
     * The window grows with the room (a millisecond for every two members, from 100 ms to 2 s):
     * each member then gets at most a few presence frames a second however busy a big room is.
     */
    private static final long PRESENCE_DELAY_MIN_MS = 100;
    private static final long PRESENCE_DELAY_MAX_MS = 2_000;

    private enum Phase { NEW, LOADING, LIVE, RETIRED }

    /** Who waits for the room to load: since, what a JSON member resumes after; joinedMs, when a plain one came. */
    private record Joiner(Member member, MessageId since, long joinedMs) {
    }

    /** What a client resuming after {@code since} is owed: a reset if it cannot be honoured, then messages. */
    public record Replay(String reset, String oldest, List<Message> messages) {
    }

    /**
     * A plain member has no history, but everything sent once it joined is its: from a room that
     * loads while it waits, it gets what the load holds from this long before it came on (clocks of
     * instances differ by less; a message or two from just before is the price of none lost).
     */
    private static final long PLAIN_JOIN_SLACK_MS = 2_000;

    private final String name;
    private final Rooms shared;
    private final String maker;
    @GuardedBy("this") private final History history;
    @GuardedBy("this") private final Membership membership = new Membership();
    @GuardedBy("this") private final List<Joiner> waiting = new ArrayList<>();
    @GuardedBy("this") private boolean presencePending;
    private volatile Phase phase = Phase.NEW; // written under this; read without it by retired()
    private final CompletableFuture<Room> live = new CompletableFuture<>();

    Room(String name, Rooms shared) {
        this(name, shared, "");
    }

    /** A room brought into being by this client address ("api" for the operator's API): see {@link EmptyRooms}. */
    Room(String name, Rooms shared, String maker) {
        this.name = name;
        this.maker = maker;
        this.shared = shared;
        this.history = new History(this, shared);
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
            MessageId seen = history.delivered(draft.dedupeKey());
            if (seen != null) return new Published(seen, true);
            long now = System.currentTimeMillis();
            if (history.mayBeForgotten(draft, now)) throw new Backend.RefExpired();
            id = history.next();
            offered = deliverLocked(Message.of(id, name, draft, now), after);
            if (draft.dedupeKey() != null) history.rememberRef(draft.dedupeKey(), id, now);
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
            if (!history.isNew(message.id())) return;
            offered = deliverLocked(message, after);
        }
        settle(after, offered, start);
    }

    @GuardedBy("this")
    private int deliverLocked(Message message, Settlements after) {
        history.remember(message);
        int offered = membership.members().length;
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
        Member[] current = membership.members();
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
            if (history.rebase(began)) resetAllLocked("unknown-since", null, after);
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
            history.gap(next);
            resetAllLocked("history-exceeded", next, after);
        }
        after.settle();
    }

    @GuardedBy("this")
    private void resetAllLocked(String reason, MessageId oldest, Settlements after) {
        offerAllLocked(null, SharedFrame.broadcast(Frames.reset(name, reason, oldest == null ? null : oldest.toString())), after);
    }

    /** Drops this room's oldest messages, about this many bytes' worth, for the history budget. */
    synchronized void shed(long bytes) {
        shared.budget().evicted(history.shed(bytes));
    }

    /** Read by the history budget without the lock: a volatile field of the history. */
    @SuppressWarnings("GuardedBy")
    long lastActiveNanos() {
        return history.lastActiveNanos();
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
                ahead = history.ahead(since);
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
            history.load(held, before, began);
            phase = Phase.LIVE;
            for (Joiner joiner : waiting) {
                if (history.ahead(joiner.since())) ahead = joiner.since();
                admitLocked(joiner.member(), joiner.since(), after);
                if (!joiner.member().json()) {
                    for (Message message : history.since(joiner.joinedMs() - PLAIN_JOIN_SLACK_MS)) {
                        after.add(joiner.member(), joiner.member().offer(message.plain(), true));
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
            Member.Offer verdict = member.offer(new SharedFrame(Frames.welcome(member.session(), member.name(), member.user(), name,
                    shared.pace(), membership.online(member))), true);
            if (verdict == Member.Offer.GONE) return; // closed before it got here: never a member
            after.add(member, verdict);
            Replay replay = history.replay(since, Integer.MAX_VALUE);
            if (replay.reset() != null) member.offer(new SharedFrame(Frames.reset(name, replay.reset(), replay.oldest())), true);
            for (Message message : replay.messages()) member.offer(message.json(), true);
        } else if (member.closed()) {
            return; // closed before it got here: never a member
        }
        membership.add(member);
        shared.members().incrementAndGet();
        presenceChangedLocked();
    }

    /** The newest {@code count} messages held, oldest first. */
    public synchronized Replay newest(int count) {
        return history.newest(count);
    }

    /** The history as a client resuming after {@code since} would get it, at most limit messages. */
    public synchronized Replay replay(MessageId since, int limit) {
        return history.replay(since, limit);
    }

    /** Who is here, and what the room holds. */
    public record Summary(List<Member> members, int messages, MessageId newest) {
    }

    public synchronized Summary summary() {
        return new Summary(List.of(membership.members()), history.size(), history.latest());
    }

    /**
     * Closes the room for good: every member and waiting joiner is put out with this code and
     * reason, and the history is dropped. The hub has already forgotten the room.
     */
    int close(int code, String reason) {
        List<Member> closing = new ArrayList<>();
        Membership.People people;
        synchronized (this) {
            phase = Phase.RETIRED;
            List<Member> were = membership.clear();
            people = membership.people(); // everyone went
            shared.members().addAndGet(-were.size());
            closing.addAll(were);
            for (Joiner joiner : waiting) closing.add(joiner.member());
            waiting.clear();
            history.drop();
        }
        for (Member member : closing) member.putOut(code, reason);
        tell(people);
        return closing.size();
    }

    /** Removes a member, or a joiner still waiting for the room to load; safe to call twice. */
    void leave(Member member) {
        synchronized (this) {
            waiting.removeIf(joiner -> joiner.member() == member);
            Member[] current = membership.members();
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
        membership.remove(remaining, gone);
        shared.members().addAndGet(-gone.size());
        if (remaining.length == 0) shared.emptied().add(this);
        presenceChangedLocked();
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
            if (membership.remote(sorted, byKey)) presenceChangedLocked();
        }
    }

    enum Claimed { YES, TAKEN, RETIRED }

    /**
     * Holds a name for a person who is about to join, unless another person here or elsewhere
     * shows one alike. A verified user's claim displaces anonymous holders here, and a tab
     * reconnecting replaces its older socket here: those members are put out, after the lock.
     */
    Claimed claim(Claim claim) {
        Set<String> displaced = new HashSet<>();
        List<Member> closing = new ArrayList<>();
        synchronized (this) {
            if (phase == Phase.RETIRED) return Claimed.RETIRED;
            NameClaims claims = membership.claims();
            // Only a tab coming back has an older socket here: no scan of a big room per join.
            boolean returning = claim.tab() != null && claims.holdsTab(claim.tab());
            if (!claims.claim(claim, displaced)) return Claimed.TAKEN;
            if (!returning && displaced.isEmpty()) return Claimed.YES;
            for (Member member : membership.members()) {
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
        return membership.claims().free(claim, new ArrayList<>());
    }

    /** Lets go of a name; true when nobody is here, waiting or holding a name any more. */
    synchronized boolean release(Claim claim) {
        membership.claims().release(claim);
        return membership.isEmpty() && waiting.isEmpty();
    }

    /** A member shows another name: false, and nothing changes, when another person shows one alike. */
    boolean rename(Member member, Claim before, Claim after) {
        Set<String> displaced = new HashSet<>();
        List<Member> closing = new ArrayList<>();
        synchronized (this) {
            if (phase == Phase.RETIRED || !membership.claims().claim(after, displaced)) return false;
            membership.claims().release(before);
            member.rename(after);
            membership.renamed(member, before, after);
            presenceChangedLocked();
            for (Member other : membership.members()) if (displaced.contains(other.person())) closing.add(other);
        }
        for (Member other : closing) other.putOut(CloseCodes.NAME_TAKEN, CloseCodes.NAME_TAKEN_REASON);
        return true;
    }

    /** The local members' names, one per socket, and who shows them. */
    public synchronized List<Shown> localNames() {
        return membership.localNames();
    }

    @GuardedBy("this")
    private void presenceChangedLocked() {
        if (presencePending || phase == Phase.RETIRED) return;
        presencePending = true;
        long delay = Math.min(PRESENCE_DELAY_MAX_MS, Math.max(PRESENCE_DELAY_MIN_MS, membership.size() / 2));
        shared.timer().schedule(this::sendPresence, delay, TimeUnit.MILLISECONDS);
    }

    /** On the timer's thread: one round of presence for everyone here, then this instance's names to the backend if they changed. */
    private void sendPresence() {
        assert Threads.TIMER.current() : Thread.currentThread().getName();
        Settlements after = new Settlements();
        List<Shown> local;
        Membership.People people;
        synchronized (this) {
            presencePending = false;
            local = membership.localChange();
            Membership.Round round = membership.presence(name);
            offerAllLocked(null, round.others(), round.joined(), round.fresh(), after);
            people = membership.people();
        }
        after.settle();
        if (local != null) shared.backend().presence(this, local);
        tell(people); // coalesced like presence: a reload within the window is neither a leave nor a join
    }

    /** Who came and went, for the app's backend; with no lock held. */
    private void tell(Membership.People people) {
        if (!people.isEmpty()) shared.activity().people(this, people.came(), people.went(), people.before(), people.after());
    }

    /** Marks an empty room retired, so it can be forgotten; false if someone is here or waiting. */
    synchronized boolean retireIfEmpty() {
        if (membership.isEmpty() && waiting.isEmpty() && phase != Phase.RETIRED) {
            phase = Phase.RETIRED;
            history.drop();
        }
        return phase == Phase.RETIRED;
    }

    /** The members here now, read without the lock: a whole array, copied on write and published through a volatile field. */
    @SuppressWarnings("GuardedBy")
    Member[] members() {
        return membership.members();
    }

    /** True once the room was forgotten or closed: a backend stops following it. */
    public boolean retired() {
        return phase == Phase.RETIRED;
    }
}
