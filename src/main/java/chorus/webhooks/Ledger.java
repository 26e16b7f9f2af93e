package chorus.webhooks;

import java.time.Duration;

/**
 * Who is where, counted over every instance: a room that has people, a person in a room, a person
 * anywhere. Each instance says when it came to hold one (it had none) and when it let go; the
 * arrival goes out when the first instance holds it, the departure when the last lets go and
 * stays let go for its grace (a reload, a reconnect or a deploy inside it is no departure). An
 * instance that dies lets go of all it held. In memory ({@link MemoryLedger}) or in Redis
 * (chorus.redis.SharedOutbox).
 */
public interface Ledger {
    /** This instance holds what `what` names (e.g. "person\0user:u-1"): the arrival goes out unless it was held already. */
    void hold(String what, Change arrival, Change departure, Duration grace);

    /** This instance no longer holds it: the departure goes out once no instance has held it for the grace. */
    void release(String what, Change departure, Duration grace);
}
