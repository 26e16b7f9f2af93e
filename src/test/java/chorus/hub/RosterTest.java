package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RosterTest {
    private static List<String> names(List<Shown> shown) {
        return shown.stream().map(Shown::name).toList();
    }

    private static Shown remote(String name) {
        return new Shown(name, null, "session:" + name);
    }

    @Test
    void listsEachMemberOnceInPresenceOrderMergedWithOtherInstancesUpToTheLimit() {
        Roster roster = new Roster();
        for (String name : List.of("bob", "ann", "Ann", "ann", "zed")) roster.add(name, null);
        roster.remove("zed");
        roster.remove("nobody");
        assertEquals(List.of("Ann", "ann", "ann", "bob", "carl", "dora"), names(roster.first(100, List.of(remote("carl"), remote("dora")))));
        assertEquals(List.of("Amy", "Ann", "ann"), names(roster.first(3, List.of(remote("Amy"), remote("dora")))));
        roster.remove("ann");
        assertEquals(List.of("Ann", "ann", "bob"), names(roster.first(100, List.of())));
    }

    @Test
    void aVerifiedNameCarriesItsUser() {
        Roster roster = new Roster();
        roster.add("ann", "u-1");
        roster.add("bob", null);
        assertEquals(List.of(new Shown("ann", "u-1", null), new Shown("bob", null, null)), roster.first(10, List.of()));
    }
}
