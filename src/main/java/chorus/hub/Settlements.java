package chorus.hub;

import java.util.ArrayList;
import java.util.List;

/** Verdicts collected under a room's lock and acted on after it is released. */
final class Settlements {
    private final List<Member> members = new ArrayList<>();
    private final List<Member.Offer> verdicts = new ArrayList<>();

    /** Records a verdict that needs action; true if the member stays (it was not too slow or gone). */
    boolean add(Member member, Member.Offer verdict) {
        if (verdict != Member.Offer.QUEUED && verdict != Member.Offer.GONE) {
            members.add(member);
            verdicts.add(verdict);
        }
        return verdict != Member.Offer.TOO_SLOW && verdict != Member.Offer.GONE;
    }

    /** Runs with no lock held. */
    void settle() {
        for (int i = 0; i < members.size(); i++) members.get(i).settle(verdicts.get(i));
    }

    int tooSlow() {
        int n = 0;
        for (Member.Offer verdict : verdicts) if (verdict == Member.Offer.TOO_SLOW) n++;
        return n;
    }
}
