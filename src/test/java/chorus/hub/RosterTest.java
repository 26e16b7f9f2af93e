package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RosterTest {
    @Test
    void listsEachMemberOnceInPresenceOrderMergedWithOtherInstancesUpToTheLimit() {
        Roster roster = new Roster();
        for (String name : List.of("bob", "ann", "Ann", "ann", "zed")) roster.add(name);
        roster.remove("zed");
        roster.remove("nobody");
        assertEquals(List.of("Ann", "ann", "ann", "bob", "carl", "dora"), roster.first(100, List.of("carl", "dora")));
        assertEquals(List.of("Amy", "Ann", "ann"), roster.first(3, List.of("Amy", "dora")));
        roster.remove("ann");
        assertEquals(List.of("Ann", "ann", "bob"), roster.first(100, List.of()));
    }
}
