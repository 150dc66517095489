package io.berrys.mesh.system;

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
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The six mesh services as separate JVM processes, each the packaged application ({@code quarkus-run.jar}) of its
 * module, on a free port, logging to {@code <work>/logs/<service>.log} (appended across restarts). Each runs in
 * {@code <work>/<service>/}, whose {@code config/application.properties} (Quarkus reads it from the working
 * directory) holds the settings of this run.
 */
final class MeshProcesses implements AutoCloseable {

    enum Service {
        /** Drives every open stage: any of them is its work in flight. */
        COORDINATOR("coordinator", List.of("transitions"), List.of("mesh.transitions"), null),
        ROLLOUT(
                "rollout-service",
                List.of("rollouts", "rollbacks", "decommissions", "transitions"),
                List.of("mesh.rollout", "mesh.priority", "mesh.decommission"),
                List.of("rollout", "decommission")),
        MIGRATION("migration-service", List.of("migrations"), List.of("mesh.migration"), List.of("migration")),
        BACKUP(
                "backup-service",
                List.of("backups", "restores"),
                List.of("mesh.backup", "mesh.restore"),
                List.of("backup")),
        MONITOR(
                "monitor-service",
                List.of("verifications", "transitions"),
                List.of("mesh.verification"),
                List.of("verification")),
        PROVISIONER("provisioner", List.of("provisions"), List.of("mesh.provision"), List.of("provision"));

        final String module;
        final List<String> channels;
        /** The streams whose entries it works on: an entry it read and has not acknowledged is work it holds. */
        final List<String> workStreams;
        /** The stages it carries out; null for every stage. */
        final List<String> tasks;

        Service(String module, List<String> channels, List<String> workStreams, List<String> tasks) {
            this.module = module;
            this.channels = channels;
            this.workStreams = workStreams;
            this.tasks = tasks;
        }

        boolean owns(String task) {
            return tasks == null || tasks.contains(task);
        }
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final Map<Service, Map<String, String>> properties = new EnumMap<>(Service.class);
    private final Map<Service, Map<String, String>> ownEnvironments = new EnumMap<>(Service.class);
    private final Map<Service, Process> running = new EnumMap<>(Service.class);
    private final Map<String, String> environment;
    private final Path work;
    private final Path logs;

    MeshProcesses(Map<String, String> environment, Path work) {
        this.environment = environment;
        this.work = work;
        this.logs = work.resolve("logs");
        for (Service service : Service.values()) {
            ports.put(service, LocalServers.freePort());
            Map<String, String> own = new TreeMap<>();
            own.put("quarkus.http.port", Integer.toString(ports.get(service)));
            // A replacement process is a new consumer (host and pid name it): it takes over what the killed one
            // held once that has been idle this long. Production keeps the 30 s default.
            for (String channel : service.channels) {
                own.put("mp.messaging.incoming." + channel + ".reclaim-idle-ms", "3000");
                own.put("mp.messaging.incoming." + channel + ".reclaim-interval-ms", "1000");
            }
            properties.put(service, own);
        }
        // Whatever ends this JVM, the services it started end with it.
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "mesh-processes-stop"));
    }

    /** Environment of one service only (its own credentials), besides what all of them get. */
    void environment(Service service, Map<String, String> values) {
        ownEnvironments.computeIfAbsent(service, any -> new TreeMap<>()).putAll(values);
    }

    /** Settings of one service, written to its configuration before it starts. */
    void configure(Service service, Map<String, String> values) {
        properties.get(service).putAll(values);
    }

    String url(Service service) {
        return "http://127.0.0.1:" + ports.get(service);
    }

    void startAll() {
        // One at a time, as the demo does: six JVMs starting at once on two cores take longer than in turn.
        for (Service service : Service.values()) {
            start(service);
        }
    }

    synchronized void start(Service service) {
        Path jar = LocalServers.repoRoot().resolve(service.module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jar + " is missing: package the services first (./mvnw package, or verify from the root)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The footprint the mesh is meant to run with.
        command.addAll(MeshJvmOptions.DEMO);
        command.add("-jar");
        command.add(jar.toString());
        try {
            Files.createDirectories(logs);
            Path directory = work.resolve(service.module);
            Files.createDirectories(directory.resolve("config"));
            StringBuilder settings = new StringBuilder("# Written by the system tests for this run.\n");
            properties
                    .get(service)
                    .forEach((key, value) ->
                            settings.append(key).append('=').append(value).append('\n'));
            Files.writeString(directory.resolve("config/application.properties"), settings);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            logs.resolve(service.module + ".log").toFile()));
            builder.environment().putAll(environment);
            builder.environment().putAll(ownEnvironments.getOrDefault(service, Map.of()));
            running.put(service, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + service.module, e);
        }
        awaitReady(service);
    }

    /** SIGKILL: no shutdown hook, no drain, nothing acknowledged on the way out. */
    synchronized void kill(Service service) throws InterruptedException {
        Process process = running.remove(service);
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    boolean ready(Service service) {
        return whyNotReady(service) == null;
    }

    /** Null when the service answers its readiness check with 200; otherwise what it did instead. */
    private String whyNotReady(Service service) {
        Process process = running.get(service);
        if (process == null) {
            return "not running";
        }
        if (!process.isAlive()) {
            return "its process exited with code " + process.exitValue();
        }
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(url(service) + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200
                    ? null
                    : "readiness answered " + response.statusCode() + ": "
                            + response.body().replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "readiness check failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Services whose process died or whose readiness check keeps failing, each with the reason and the end of its
     * log. A check that fails once under load is retried for a while: down means it stays down.
     */
    List<String> notReady() {
        List<String> down = new ArrayList<>();
        for (Service service : Service.values()) {
            String reason = whyNotReady(service);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (reason != null
                    && running.get(service) != null
                    && running.get(service).isAlive()
                    && System.nanoTime() < deadline) {
                sleep(1000);
                reason = whyNotReady(service);
            }
            if (reason != null) {
                String described = service.module + " (" + reason + ")";
                System.out.println("[system] " + described + "; the end of its log:\n" + logTail(service, 40));
                down.add(described);
            }
        }
        return down;
    }

    private String logTail(Service service, int lines) {
        try {
            List<String> all = Files.readAllLines(logs.resolve(service.module + ".log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitReady(Service service) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Process process = running.get(service);
            if (process == null || !process.isAlive()) {
                throw new IllegalStateException(
                        service.module + " exited during start; see " + logs.resolve(service.module + ".log"));
            }
            if (ready(service)) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException(
                service.module + " was not ready within 120 s; see " + logs.resolve(service.module + ".log"));
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public synchronized void close() {
        stop(running.values());
        running.clear();
    }

    /** SIGTERM to all at once, then SIGKILL to any still running after 15 s. */
    static void stop(Collection<Process> processes) {
        processes.forEach(Process::destroy);
        for (Process process : processes) {
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
