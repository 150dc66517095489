package io.berrys.mesh.coordinator;

import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.MeshJvmOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged coordinator ({@code target/quarkus-app}, built by {@code package} before the ITs run) as a JVM of its
 * own with the mesh's shipped JVM options (a 64 MB heap, 256 KB stacks), on a database and streams of the test's.
 * Stopped with SIGTERM, as Kubernetes stops a pod.
 */
final class CoordinatorProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private CoordinatorProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts it and waits until {@code /q/health/ready} answers 200. */
    static CoordinatorProcess start(
            String database, String streamPrefix, String adminToken, Path log, Map<String, String> properties) {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the ITs through 'mvn verify', which packages it");
        }
        LocalServers.Postgres postgres = LocalServers.requirePostgres();
        int port = LocalServers.freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(MeshJvmOptions.fromEnvironment());
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dquarkus.datasource.reactive.url=postgresql://" + postgres.host() + ":" + postgres.port() + "/"
                + database);
        command.add("-Dquarkus.datasource.jdbc.url=jdbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/"
                + database);
        command.add("-Dquarkus.datasource.username=" + postgres.user());
        command.add("-Dmp.messaging.incoming.transitions.stream=" + streamPrefix + "transitions");
        command.add("-Dmp.messaging.incoming.requests.stream=" + streamPrefix + Streams.COMMANDS);
        command.add("-Dmp.messaging.outgoing.commands.stream-prefix=" + streamPrefix);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Secrets through the environment, as the manifests pass them, not on a command line anyone can read.
        builder.environment().put("MESH_API_TOKEN", adminToken);
        builder.environment().put("MESH_PG_PASSWORD", postgres.password());
        builder.environment().putAll(LocalServers.redisAccountEnvironment());
        try {
            Files.createDirectories(log.getParent());
            Process process = builder.start();
            awaitReady(process, port, log);
            return new CoordinatorProcess(process, log, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    private static void awaitReady(Process process, int port, Path log) {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the coordinator exited with " + process.exitValue() + ":\n" + read(log));
            }
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
                Thread.sleep(50);
            } catch (IOException e) {
                sleep();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the coordinator was not ready within 90 s:\n" + read(log));
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String log() {
        return read(log);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
