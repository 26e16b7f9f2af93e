package chorus.support;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Calls the HTTP API of a test server, with a bearer token or none. */
public final class ApiClient {
    public static final String TOKEN = "test-token-0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ApiClient() {
    }

    /** A request with the token (null for none); the response with its body. */
    public static HttpResponse<String> call(TestServer server, String method, String path, String body, String token)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.http(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) request.header("Authorization", "Bearer " + token);
        if (body != null) request.header("Content-Type", "application/json");
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
