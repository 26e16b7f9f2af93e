package chorus.hub;

import java.util.Arrays;

/** Verdicts collected under a room's lock and acted on after it is released. */
final class Settlements {
    private Member[] members = new Member[0];
    private Member.Offer[] verdicts = new Member.Offer[0];
    private int size;

    /** Room for a broadcast to {@code count} members at once, rather than growing by halves. */
    void expect(int count) {
        if (members.length - size < count) resize(size + count);
    }

    /** Records a verdict that needs action; true if the member stays (it was not too slow or gone). */
    boolean add(Member member, Member.Offer verdict) {
        if (verdict != Member.Offer.QUEUED && verdict != Member.Offer.GONE) {
            if (size == members.length) resize(Math.max(4, 2 * size));
            members[size] = member;
            verdicts[size++] = verdict;
        }
        return verdict != Member.Offer.TOO_SLOW && verdict != Member.Offer.GONE;
    }

    private void resize(int capacity) {
        members = Arrays.copyOf(members, capacity);
        verdicts = Arrays.copyOf(verdicts, capacity);
    }

    /** Runs with no lock held. */
    void settle() {
        for (int i = 0; i < size; i++) members[i].settle(verdicts[i]);
    }

    int tooSlow() {
        int n = 0;
        for (int i = 0; i < size; i++) if (verdicts[i] == Member.Offer.TOO_SLOW) n++;
        return n;
    }
}
