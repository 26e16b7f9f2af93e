package chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.protocol.MessageId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The webhook queue's bound (#31): 10 000 events against a dead receiver stay within it, newest kept, order kept. */
class QueueTest {
    private final Events events = new Events(Set.of("message.created"));

    private Event event(String room, int i) {
        return events.make("message.created", room, Map.of("room", room, "text", i + " " + "x".repeat(900)));
    }

    @Test
    void tenThousandEventsAgainstADeadReceiverStayWithinTheBoundAndTheOldestGoFirst() {
        Queue queue = new Queue(64 << 10);
        List<Outbox.Delivery> first = null;
        for (int i = 0; i < 10_000; i++) {
            queue.add(event("r" + (i % 3), i));
            if (i == 2) first = queue.take(0, 8); // their heads are in flight, against a receiver that never answers
            assertTrue(queue.bytes() <= 64 << 10, "over the bound at " + i + ": " + queue.bytes());
        }
        assertEquals(10_000 - queue.size(), queue.dropped());
        assertEquals(queue.dropped(), queue.unreported());
        // The heads in flight stayed; after them, each line holds its newest events, in order.
        for (Outbox.Delivery inFlight : first) {
            queue.done(inFlight, 0);
            List<Outbox.Delivery> next = queue.take(0, 8).stream().filter(d -> d.key().equals(inFlight.key())).toList();
            assertEquals(1, next.size());
            assertTrue(new String(next.get(0).event().body()).contains("\"text\":\"99"), "the newest are kept");
        }
    }

    @Test
    void aHeadRetriedIsTheSameEventUntilItIsTaken() {
        Queue queue = new Queue(1 << 20);
        Event a = event("room", 1);
        queue.add(a);
        queue.add(event("room", 2));
        Outbox.Delivery try1 = queue.take(0, 8).get(0);
        assertEquals(List.of(), queue.take(0, 8), "one at a time per room");
        queue.failed(try1, 1_000);
        assertEquals(List.of(), queue.take(999, 8), "not before its time");
        Outbox.Delivery try2 = queue.take(1_000, 8).get(0);
        assertSame(a, try2.event());
        assertEquals(1, try2.attempt());
        queue.done(try2, 0);
        assertTrue(new String(queue.take(1_000, 8).get(0).event().body()).contains("\"text\":\"2"));
    }

    private Event message(long offset) {
        return event("room", (int) offset).inOrder(new MessageId(7, offset));
    }

    /** The texts the queue hands out for one line, taking each as soon as it may go, at this time. */
    private static List<String> drain(Queue queue, long now) {
        List<String> texts = new java.util.ArrayList<>();
        for (List<Outbox.Delivery> due = queue.take(now, 8); !due.isEmpty(); due = queue.take(now, 8)) {
            for (Outbox.Delivery d : due) {
                String body = new String(d.event().body());
                texts.add(body.substring(body.indexOf("\"text\":\"") + 8, body.indexOf(' ', body.indexOf("\"text\":\""))));
                queue.done(d, 0);
            }
        }
        return texts;
    }

    @Test
    void aRoomsMessagesGoInTheirOrderWhicheverWasQueuedFirst() {
        Queue queue = new Queue(1 << 20);
        long now = System.currentTimeMillis();
        queue.add(message(1));
        assertEquals(List.of("1"), drain(queue, now));
        queue.add(message(3)); // sent after 2, queued before it (another socket, another instance)
        assertEquals(List.of(), drain(queue, now), "3 waits for 2");
        queue.add(message(2));
        assertEquals(List.of("2", "3"), drain(queue, now));
    }

    @Test
    void aMessageWaitsForAMissingOneOnlySoLong() {
        Queue queue = new Queue(1 << 20);
        long now = System.currentTimeMillis();
        queue.add(message(1));
        queue.add(message(3));
        queue.add(message(4));
        assertEquals(List.of("1"), drain(queue, now));
        assertTrue(queue.nextDue() <= now + Queue.GAP_MS + 1000, "a wake-up for when the wait is over");
        assertEquals(List.of("3", "4"), drain(queue, now + Queue.GAP_MS + 1000), "2 never came: the rest go");
        queue.add(message(2));
        assertEquals(List.of("2"), drain(queue, now + Queue.GAP_MS + 1000), "late, but not lost");
    }
}
