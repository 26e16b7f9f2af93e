package chorus.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library as an npm package (client/): its declarations check, it packs, and Node imports it by name. */
class ClientPackageTest {
    private static String run(File dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir).redirectErrorStream(true).start();
        process.getOutputStream().close();
        boolean done = process.waitFor(120, TimeUnit.SECONDS);
        if (!done) process.destroyForcibly().waitFor();
        String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, done ? process.exitValue() : -1, String.join(" ", command) + ":\n" + printed);
        return printed;
    }

    @Test
    void tscChecksTheDeclarationsAgainstCodeWrittenToTheDocs() throws Exception {
        run(new File("src/test/js"), "node", "node_modules/typescript/bin/tsc", "-p", "types/tsconfig.json");
    }

    @Test
    void npmPackMakesAPackageThatNodeImportsByName(@TempDir Path tmp) throws Exception {
        JsonNode packed = new ObjectMapper().readTree(run(new File("client"), "npm", "pack", "--json", "--pack-destination", tmp.toString()));
        List<String> files = new ArrayList<>();
        packed.get(0).get("files").forEach(f -> files.add(f.get("path").asText()));
        files.sort(null);
        assertEquals(List.of("README.md", "chorus-client.d.ts", "chorus-client.js", "package.json"), files);
        Path modules = Files.createDirectories(tmp.resolve("app/node_modules/chorus-client"));
        run(tmp.toFile(), "tar", "-xzf", packed.get(0).get("filename").asText(), "-C", modules.toString(), "--strip-components=1");
        String used = run(tmp.resolve("app").toFile(), "node", "--input-type=module", "-e", """
                import { Chorus, ChorusError, isNewer } from "chorus-client";
                const chorus = new Chorus({ url: "ws://127.0.0.1:9/ws", storage: { getItem: () => null, setItem() {} } });
                const room = chorus.room("lobby");
                console.log(chorus.state, room.name, isNewer("1-2", "1-1"), new ChorusError("x", "y").code);
                """);
        assertEquals("stopped lobby true x", used.strip());
    }
}
