package chorus.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names of a room's members, kept in the order presence lists them (case-insensitive, then
 * exact), each with how many members show it. A join, leave or rename costs O(log n); the list a
 * presence frame carries is the first {@code limit} names, so building it costs O(limit), not a
 * sort of every member. Not thread-safe: the room's lock guards it.
 */
final class Roster {
    static final Comparator<String> ORDER = String.CASE_INSENSITIVE_ORDER.thenComparing(Comparator.naturalOrder());

    private final TreeMap<String, Integer> counts = new TreeMap<>(ORDER);

    void add(String name) {
        counts.merge(name, 1, Integer::sum);
    }

    void remove(String name) {
        counts.computeIfPresent(name, (n, c) -> c > 1 ? c - 1 : null);
    }

    void clear() {
        counts.clear();
    }

    /** The first {@code limit} names here and in {@code others} (already in {@link #ORDER}), merged. */
    List<String> first(int limit, List<String> others) {
        List<String> names = new ArrayList<>(Math.min(limit, 16));
        Iterator<Map.Entry<String, Integer>> here = counts.entrySet().iterator();
        Map.Entry<String, Integer> next = here.hasNext() ? here.next() : null;
        int left = next == null ? 0 : next.getValue();
        int other = 0;
        while (names.size() < limit && (next != null || other < others.size())) {
            if (next != null && (other >= others.size() || ORDER.compare(next.getKey(), others.get(other)) <= 0)) {
                names.add(next.getKey());
                if (--left == 0) {
                    next = here.hasNext() ? here.next() : null;
                    left = next == null ? 0 : next.getValue();
                }
            } else {
                names.add(others.get(other++));
            }
        }
        return names;
    }
}
