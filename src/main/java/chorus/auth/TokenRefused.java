package chorus.auth;

/** A token, or the lack of one, that keeps a client out: the HTTP status and the reason it is told. */
public final class TokenRefused extends Exception {
    public final int status;
    public final boolean banned; // an operator's ban, not the token itself

    public TokenRefused(int status, String reason) {
        this(status, reason, false);
    }

    private TokenRefused(int status, String reason, boolean banned) {
        super(reason, null, false, false);
        this.status = status;
        this.banned = banned;
    }

    public static TokenRefused banned(String reason) {
        return new TokenRefused(403, reason, true);
    }
}
