package chorus.protocol;

/**
 * One name in a room's presence: the name, the verified user id behind it (null: anonymous), and
 * the person showing it (a person key, chorus.hub.Person), which tells one person's tabs from another's.
 */
public record Shown(String name, String user, String person) {
}
