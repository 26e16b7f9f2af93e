package chorus.hub;

import chorus.protocol.Shown;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who holds which name in one room, by look-alike key: here (claims, counted per person, since
 * one person may show a name in several tabs) and on other instances (their presence, as last
 * read). The rules: an anonymous person may show no name alike another person's; a verified user
 * displaces anonymous holders here; two verified users may show names alike, since clients tell
 * them apart by their user ids. Not thread-safe: the room's lock guards it.
 */
final class NameClaims {
    private static final class Holder {
        final String person;
        final String user;
        int count;

        Holder(String person, String user) {
            this.person = person;
            this.user = user;
        }
    }

    // Several holders of one key only when they are verified users.
    private final Map<String, List<Holder>> here = new HashMap<>();
    private final Map<String, Integer> tabs = new HashMap<>(); // claims held here, per tab (client id)
    private Map<String, List<Shown>> elsewhere = Map.of();

    /**
     * Whether the claim may stand; anonymous holders a verified user's claim overrides here are
     * returned in {@code displaced}, and their claims dropped (the room puts them out).
     */
    boolean claim(Claim claim, Set<String> displaced) {
        List<String> anonymous = new ArrayList<>();
        if (!free(claim, anonymous)) return false;
        if (!anonymous.isEmpty()) {
            here.values().forEach(holders -> holders.removeIf(holder -> anonymous.contains(holder.person)));
            here.values().removeIf(List::isEmpty);
            displaced.addAll(anonymous);
        }
        for (String key : claim.keys()) {
            List<Holder> holders = here.computeIfAbsent(key, k -> new ArrayList<>(1));
            Holder mine = holderOf(holders, claim.person());
            if (mine == null) holders.add(mine = new Holder(claim.person(), claim.user()));
            mine.count++;
        }
        if (claim.tab() != null) tabs.merge(claim.tab(), 1, Integer::sum);
        return true;
    }

    private static Holder holderOf(List<Holder> holders, String person) {
        for (Holder holder : holders) if (holder.person.equals(person)) return holder;
        return null;
    }

    /** Whether a socket of this tab holds a claim here already (one being replaced by a reconnect). */
    boolean holdsTab(String tab) {
        return tabs.containsKey(tab);
    }

    /** Whether the claim could stand; the anonymous holders it would displace go in {@code anonymous}. */
    boolean free(Claim claim, List<String> anonymous) {
        for (String key : claim.keys()) {
            for (Holder holder : here.getOrDefault(key, List.of())) {
                if (holder.person.equals(claim.person())) continue;
                if (claim.user() == null) return false;
                if (holder.user == null) anonymous.add(holder.person);
            }
            for (Shown remote : elsewhere.getOrDefault(key, List.of())) {
                // Another instance's anonymous holder cannot be put out from here: it stays till it leaves.
                if (!remote.person().equals(claim.person()) && claim.user() == null) return false;
            }
        }
        return true;
    }

    void release(Claim claim) {
        if (!claim.letGo()) return;
        if (claim.tab() != null) tabs.computeIfPresent(claim.tab(), (tab, count) -> count == 1 ? null : count - 1);
        for (String key : claim.keys()) {
            List<Holder> holders = here.get(key);
            Holder mine = holders == null ? null : holderOf(holders, claim.person());
            if (mine != null && --mine.count == 0) {
                holders.remove(mine);
                if (holders.isEmpty()) here.remove(key);
            }
        }
    }

    /** What other instances show, by key (worked out outside the lock). */
    void elsewhere(Map<String, List<Shown>> byKey) {
        elsewhere = byKey;
    }

    boolean isEmpty() {
        return here.isEmpty();
    }

    void clear() {
        here.clear();
        tabs.clear();
    }
}
