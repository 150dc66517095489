package io.berrys.mesh.events.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MeshJvmOptionsTest {

    /** {@code MESH_JAVA_OPTS="${MESH_JAVA_OPTS:-<the defaults>}"} */
    private static final Pattern DEMO_DEFAULT =
            Pattern.compile("(?m)^MESH_JAVA_OPTS=\"\\$\\{MESH_JAVA_OPTS:-([^}]*)}\"");

    @Test
    void theTestsStartServicesWithTheDemosOptions() throws IOException {
        String demo = Files.readString(Path.of("..", "deploy", "local", "demo.sh"));
        Matcher defaults = DEMO_DEFAULT.matcher(demo);
        assertEquals(true, defaults.find(), "demo.sh sets MESH_JAVA_OPTS's default in one line");
        List<String> demoOptions = Arrays.asList(defaults.group(1).trim().split("\\s+"));
        assertEquals(demoOptions, MeshJvmOptions.DEMO);
    }
}
