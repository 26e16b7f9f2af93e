package chorus.bench;

import io.javalin.Javalin;
import io.javalin.websocket.WsContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A reference for the benchmark only: Javalin 7 as its documentation shows a chat, a set of
 * contexts and a loop of {@code ctx.send}: no bounded queue, no batching.
 */
public final class NaiveJavalin {
    private NaiveJavalin() {
    }

    public static void main(String[] args) {
        Set<WsContext> users = ConcurrentHashMap.newKeySet();
        Javalin.create(config -> config.routes.ws("/ws", ws -> {
            ws.onConnect(users::add);
            ws.onClose(users::remove);
            ws.onMessage(ctx -> {
                for (WsContext user : users) {
                    if (user.session.isOpen()) user.send(ctx.message());
                }
            });
        })).start(Integer.parseInt(System.getenv("PORT")));
    }
}
