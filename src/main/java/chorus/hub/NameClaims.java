package chorus.hub;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who holds which name in one room, by look-alike key: here (claims, counted per person, since
 * one person may show a name in several tabs) and on other instances (their presence, as last
 * read). Not thread-safe: the room's lock guards it.
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

    private final Map<String, Holder> here = new HashMap<>();
    private final Map<String, Integer> persons = new HashMap<>(); // claims held here, per person
    private Map<String, Shown> elsewhere = Map.of();

    /**
     * Whether the claim may stand: no other person shows a name alike, except that a verified
     * user's claim overrides anonymous holders here (returned in {@code displaced}, whose claims
     * are dropped: the room closes them).
     */
    boolean claim(Claim claim, Set<String> displaced) {
        List<String> anonymous = new ArrayList<>();
        if (!free(claim, anonymous)) return false;
        if (!anonymous.isEmpty()) {
            here.values().removeIf(holder -> anonymous.contains(holder.person));
            displaced.addAll(anonymous);
        }
        for (String key : claim.keys()) here.computeIfAbsent(key, k -> new Holder(claim.person(), claim.user())).count++;
        persons.merge(claim.person(), 1, Integer::sum);
        return true;
    }

    /** Whether the person holds a claim here already (another tab, or a session being replaced). */
    boolean holdsAny(String person) {
        return persons.containsKey(person);
    }

    /** Whether the claim could stand; the anonymous holders it would displace go in {@code anonymous}. */
    boolean free(Claim claim, List<String> anonymous) {
        for (String key : claim.keys()) {
            Holder holder = here.get(key);
            if (holder != null && !holder.person.equals(claim.person())) {
                if (holder.user != null || claim.user() == null) return false;
                anonymous.add(holder.person);
            }
            Shown remote = elsewhere.get(key);
            if (remote != null && !remote.person().equals(claim.person()) && (remote.user() != null || claim.user() == null)) {
                return false;
            }
        }
        return true;
    }

    void release(Claim claim) {
        if (!claim.letGo()) return;
        persons.computeIfPresent(claim.person(), (person, count) -> count == 1 ? null : count - 1);
        for (String key : claim.keys()) {
            Holder holder = here.get(key);
            if (holder != null && holder.person.equals(claim.person()) && --holder.count == 0) here.remove(key);
        }
    }

    /** What other instances show, by key (worked out outside the lock). */
    void elsewhere(Map<String, Shown> byKey) {
        elsewhere = byKey;
    }

    boolean isEmpty() {
        return here.isEmpty();
    }

    void clear() {
        here.clear();
    }
}
