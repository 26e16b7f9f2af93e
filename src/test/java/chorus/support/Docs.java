package chorus.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Code examples as the docs give them, so a test runs exactly what a reader would copy. */
public final class Docs {
    private Docs() {
    }

    /** The fenced code block that follows {@code <!-- marker -->} in a file under docs/. */
    public static String example(String file, String marker) throws IOException {
        String text = Files.readString(Path.of("docs", file));
        int at = text.indexOf("<!-- " + marker + " -->");
        if (at < 0) throw new AssertionError("no example " + marker + " in docs/" + file);
        int start = text.indexOf('\n', text.indexOf("```", at)) + 1;
        return text.substring(start, text.indexOf("\n```", start) + 1);
    }
}
