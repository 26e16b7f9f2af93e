package chorus.auth;

/** A token, or the lack of one, that keeps a client out: the HTTP status and the reason it is told. */
public final class TokenRefused extends Exception {
    public final int status;

    public TokenRefused(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }
}
