package chorus.web;

import chorus.tasks.QuietLog;
import io.javalin.config.JavalinConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EofException;

/**
 * A request whose body is cut short or malformed (a chunk size that overflows, a body that ends
 * early) is the client's error: 400, counted, and one summary line a minute instead of a warning
 * with a stack trace each (a flood of them was 5.7 KB of log per request).
 */
public final class BadRequests {
    private BadRequests() {
    }

    public static void install(JavalinConfig c, QuietLog log, MeterRegistry registry) {
        Counter cutShort = counter(registry, "body-cut-short");
        Counter malformed = counter(registry, "malformed");
        c.routes.exception(EofException.class, (e, ctx) -> {
            cutShort.increment();
            log.note("requests whose body ended early (400)");
            ctx.status(400).header("Connection", "close").result("request body ended early");
        });
        c.routes.exception(HttpException.RuntimeException.class, (e, ctx) -> {
            malformed.increment();
            log.note("malformed requests (400)");
            ctx.status(400).header("Connection", "close").result("malformed request");
        });
    }

    private static Counter counter(MeterRegistry registry, String reason) {
        return Counter.builder("chorus.http.bad.requests").tag("reason", reason)
                .description("requests answered 400 for a body cut short or malformed").register(registry);
    }
}
