package io.berrys.mesh.provisioner;

import io.berrys.mesh.events.testing.LocalServers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Points the provisioner at the local moto server and at a specs folder holding the staging spec under a fresh
 * environment name (moto keeps what earlier runs made, and S3 names are global).
 */
public class MotoEnvironmentResource implements QuarkusTestResourceLifecycleManager {

    public static final String ENVIRONMENT =
            "it-api-" + UUID.randomUUID().toString().substring(0, 8);
    public static final Path FOLDER = Path.of("target/it-environments").toAbsolutePath();

    @Override
    public Map<String, String> start() {
        String endpoint = LocalServers.requireMoto();
        try {
            Path folder = Files.createDirectories(FOLDER);
            String yaml = Files.readString(Path.of("../deploy/environments/staging.yaml"))
                    .replace("environment: staging", "environment: " + ENVIRONMENT)
                    .replace("berrys-staging", "berrys-" + ENVIRONMENT);
            yaml += "\nregistry:\n  prefix: berrys-" + ENVIRONMENT + "\n";
            Files.writeString(folder.resolve(ENVIRONMENT + ".yaml"), yaml);
            Files.writeString(
                    folder.resolve("mismatched.yaml"),
                    yaml.replace("environment: " + ENVIRONMENT, "environment: other"));
            return Map.of(
                    "mesh.provisioner.aws.endpoint",
                    endpoint,
                    "mesh.provisioner.environments",
                    folder.toAbsolutePath().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {}
}
