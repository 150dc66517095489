package io.berrys.mesh.monitor;

import io.berrys.mesh.events.testing.LocalServers;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged monitor-service ({@code target/quarkus-app}, built by {@code package} before the ITs run) started as a
 * JVM of its own, as the demo starts it, with every stream it reads or writes under a prefix of the test's. Stopped
 * with SIGTERM, so its shutdown runs as in a Kubernetes pod.
 */
final class ServiceProcess implements AutoCloseable {

    /** The operators' token the service is started with, for its API. */
    static final String API_TOKEN = "test-api-token";

    private static final Pattern REBUILT = Pattern.compile("Rebuilt the live-release projection .* in (\\d+) ms");
    private static final Pattern STARTED = Pattern.compile("started in (\\d+\\.\\d+)s");

    private final Process process;
    private final Path log;
    private final int port;
    private final double readySeconds;

    private ServiceProcess(Process process, Path log, int port, double readySeconds) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.readySeconds = readySeconds;
    }

    /** Starts the service and waits until {@code /q/health/ready} answers 200. */
    static ServiceProcess start(
            String streamPrefix, Path log, List<String> javaOptions, Map<String, String> properties) {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the ITs through 'mvn verify', which packages it");
        }
        int port = LocalServers.freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dmp.messaging.incoming.transitions.stream=" + streamPrefix + "mesh.transitions");
        command.add("-Dmp.messaging.incoming.verifications.stream=" + streamPrefix + "mesh.verification");
        command.add(
                "-Dmp.messaging.incoming.verifications.rejection-reply-stream=" + streamPrefix + "mesh.transitions");
        command.add("-Dmp.messaging.outgoing.out.stream-prefix=" + streamPrefix);
        command.add("-Dmesh.monitor.webhook-token=" + MonitoringServers.TOKEN);
        command.add("-Dmesh.monitor.api-token=" + API_TOKEN);
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        try {
            Files.createDirectories(log.getParent());
            long launched = System.nanoTime();
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(LocalServers.redisAccountEnvironment());
            Process process = builder.start();
            awaitReady(process, port, log);
            double ready = (System.nanoTime() - launched) / 1e9;
            return new ServiceProcess(process, log, port, ready);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
                throw new IllegalStateException("the service exited with " + process.exitValue() + ":\n" + read(log));
            }
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the service was not ready within 90 s:\n" + read(log));
    }

    /** Launch to ready, as deploy/local/demo.sh and bench/footprint.sh time a start. */
    double readySeconds() {
        return readySeconds;
    }

    /** Quarkus's own "started in" figure. */
    Optional<Double> startedSeconds() {
        Matcher started = STARTED.matcher(log());
        return started.find() ? Optional.of(Double.parseDouble(started.group(1))) : Optional.empty();
    }

    /** The rebuild's summary line. */
    String rebuildLine() {
        return log().lines()
                .filter(line -> REBUILT.matcher(line).find())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no rebuild line in " + log));
    }

    long rebuildMillis() {
        Matcher rebuilt = REBUILT.matcher(rebuildLine());
        if (!rebuilt.find()) {
            throw new IllegalStateException("unreadable rebuild line in " + log);
        }
        return Long.parseLong(rebuilt.group(1));
    }

    String log() {
        return read(log);
    }

    String get(String path) {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .header("Authorization", "Bearer " + API_TOKEN)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, and waits for an orderly exit. */
    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the service did not stop within 60 s:\n" + log());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException(e);
        }
    }

    /** Stops it if a test failed before it did. */
    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
