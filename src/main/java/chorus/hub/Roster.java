package chorus.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names of a room's members, kept in the order presence lists them (case-insensitive, then
 * exact), each with how many members show it and the verified user behind it. A join, leave or
 * rename costs O(log n); the list a presence frame carries is the first {@code limit} names, so
 * building it costs O(limit), not a sort of every member. Not thread-safe: the room's lock guards it.
 */
final class Roster {
    static final Comparator<String> ORDER = String.CASE_INSENSITIVE_ORDER.thenComparing(Comparator.naturalOrder());
    static final Comparator<Shown> SHOWN_ORDER = Comparator.comparing(Shown::name, ORDER);

    private static final class Entry {
        final String user;
        int count;

        Entry(String user) {
            this.user = user;
        }
    }

    // Only one person may show a name in a room (NameClaims), so a name has one user.
    private final TreeMap<String, Entry> entries = new TreeMap<>(ORDER);

    void add(String name, String user) {
        entries.computeIfAbsent(name, n -> new Entry(user)).count++;
    }

    void remove(String name) {
        Entry entry = entries.get(name);
        if (entry != null && --entry.count == 0) entries.remove(name);
    }

    void clear() {
        entries.clear();
    }

    /** The first {@code limit} names here and in {@code others} (already in {@link #SHOWN_ORDER}), merged. */
    List<Shown> first(int limit, List<Shown> others) {
        List<Shown> names = new ArrayList<>(Math.min(limit, 16));
        Iterator<Map.Entry<String, Entry>> here = entries.entrySet().iterator();
        Map.Entry<String, Entry> next = here.hasNext() ? here.next() : null;
        int left = next == null ? 0 : next.getValue().count;
        int other = 0;
        while (names.size() < limit && (next != null || other < others.size())) {
            if (next != null && (other >= others.size() || ORDER.compare(next.getKey(), others.get(other).name()) <= 0)) {
                names.add(new Shown(next.getKey(), next.getValue().user, null));
                if (--left == 0) {
                    next = here.hasNext() ? here.next() : null;
                    left = next == null ? 0 : next.getValue().count;
                }
            } else {
                names.add(others.get(other++));
            }
        }
        return names;
    }
}
