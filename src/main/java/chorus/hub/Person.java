package chorus.hub;

/**
 * Who a member is, the key presence and names go by, never the name it shows: {@code user:<sub>}
 * for a verified user, {@code person:<id>} for a guest's lasting id (one per browser, kept by the
 * page), else {@code client:<id>} (one tab) or {@code session:<id>}. One person in several tabs,
 * rooms or instances holds one name and counts once. tab: the page's per-tab client id, if any:
 * a socket of the same tab replaces the older one.
 */
public record Person(String key, String user, String tab) {
    public static Person of(String user, String person, String client, String session) {
        String key = user != null ? "user:" + user : person != null ? "person:" + person
                : client != null ? "client:" + client : "session:" + session;
        return new Person(key, user, client);
    }
}
