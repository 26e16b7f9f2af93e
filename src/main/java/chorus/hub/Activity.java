package chorus.hub;

import chorus.protocol.Shown;
import java.util.List;

/**
 * What the hub tells the app's backend about (webhooks, docs/WEBHOOKS.md). Called after a room's
 * lock is let go, never under it; an implementation only queues.
 */
public interface Activity {
    Activity NONE = new Activity() {
        @Override
        public void published(Room room, Draft draft, Published published) {
        }

        @Override
        public void people(Room room, List<Shown> came, List<Shown> went, int before, int after) {
        }
    };

    /** A message was accepted here and given its id (not a resend of one delivered before). */
    void published(Room room, Draft draft, Published published);

    /**
     * People came into the room here and went from it (one entry per person, with a name it shows),
     * and how many people it held here before and after.
     */
    void people(Room room, List<Shown> came, List<Shown> went, int before, int after);
}
