package chorus.hub;

import chorus.protocol.Shown;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Who shows which name in a room here, one entry per person and name however many tabs show it,
 * kept in the order presence lists them (case-insensitive, then exact, then by person). A join,
 * leave or rename costs O(log n). Not thread-safe: the room's lock guards it.
 */
final class Roster {
    static final Comparator<String> ORDER = String.CASE_INSENSITIVE_ORDER.thenComparing(Comparator.naturalOrder());
    static final Comparator<Shown> SHOWN_ORDER = Comparator.comparing(Shown::name, ORDER)
            .thenComparing(Shown::person, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final TreeMap<Shown, Integer> entries = new TreeMap<>(SHOWN_ORDER); // members showing each
    private final Map<String, Integer> persons = new HashMap<>(); // members per person

    void add(Shown shown) {
        entries.merge(shown, 1, Integer::sum);
        persons.merge(shown.person(), 1, Integer::sum);
    }

    void remove(Shown shown) {
        entries.computeIfPresent(shown, (s, n) -> n == 1 ? null : n - 1);
        persons.computeIfPresent(shown.person(), (p, n) -> n == 1 ? null : n - 1);
    }

    void clear() {
        entries.clear();
        persons.clear();
    }

    boolean has(String person) {
        return persons.containsKey(person);
    }

    /** The people here, each with one of the names it shows. */
    Map<String, Shown> people() {
        Map<String, Shown> people = new HashMap<>();
        for (Shown shown : entries.keySet()) people.putIfAbsent(shown.person(), shown);
        return people;
    }

    /** How many people: those here, and those elsewhere who are not here. */
    int people(List<Shown> elsewhere) {
        Set<String> others = new HashSet<>();
        for (Shown shown : elsewhere) if (!persons.containsKey(shown.person())) others.add(shown.person());
        return persons.size() + others.size();
    }

    /** Everyone shown, here and elsewhere (in {@link #SHOWN_ORDER}, one entry per person and name), merged in that order. */
    List<Shown> shown(List<Shown> elsewhere) {
        List<Shown> all = new ArrayList<>(entries.size() + elsewhere.size());
        int other = 0;
        for (Shown mine : entries.keySet()) {
            while (other < elsewhere.size() && SHOWN_ORDER.compare(elsewhere.get(other), mine) < 0) addElsewhere(all, elsewhere.get(other++));
            all.add(mine);
        }
        while (other < elsewhere.size()) addElsewhere(all, elsewhere.get(other++));
        return all;
    }

    private void addElsewhere(List<Shown> all, Shown shown) {
        if (!entries.containsKey(shown)) all.add(shown); // the same person under the same name here and there: once
    }
}
