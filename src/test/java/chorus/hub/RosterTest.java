package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.protocol.Shown;
import java.util.List;
import org.junit.jupiter.api.Test;

class RosterTest {
    private static List<String> names(List<Shown> shown) {
        return shown.stream().map(Shown::name).toList();
    }

    private static Shown of(String name, String person) {
        return new Shown(name, null, person);
    }

    @Test
    void listsEachPersonAndNameOnceInPresenceOrderMergedWithOtherInstances() {
        Roster roster = new Roster();
        for (Shown s : List.of(of("bob", "p1"), of("ann", "p2"), of("Ann", "p3"), of("ann", "p2"), of("zed", "p4"))) roster.add(s);
        roster.remove(of("zed", "p4"));
        roster.remove(of("nobody", "p9"));
        List<Shown> elsewhere = List.of(of("ann", "p2"), of("carl", "p5"), of("dora", "p6"));
        assertEquals(List.of("Ann", "ann", "bob", "carl", "dora"), names(roster.shown(elsewhere)), "p2's two tabs and its tab elsewhere: once");
        assertEquals(5, roster.people(elsewhere));
        roster.remove(of("ann", "p2"));
        assertEquals(List.of("Ann", "ann", "bob"), names(roster.shown(List.of())), "one of p2's tabs is still here");
        roster.remove(of("ann", "p2"));
        assertEquals(List.of("Ann", "bob"), names(roster.shown(List.of())));
    }

    @Test
    void twoVerifiedUsersShowingOneNameAreTwoEntriesEachWithItsUser() {
        Roster roster = new Roster();
        roster.add(new Shown("Ann", "u-17", "user:u-17"));
        roster.add(new Shown("Ann", "u-99", "user:u-99"));
        roster.add(new Shown("Ann", null, "session:x"));
        roster.remove(new Shown("Ann", null, "session:x")); // the anonymous Ann leaves: the users keep their ✓
        assertEquals(List.of(new Shown("Ann", "u-17", "user:u-17"), new Shown("Ann", "u-99", "user:u-99")), roster.shown(List.of()));
    }
}
