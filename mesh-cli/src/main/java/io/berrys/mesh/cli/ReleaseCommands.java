package io.berrys.mesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "release",
        description = "Releases: publish, status, list, and the commands approve, pause, resume, abort, rollback.",
        subcommands = {
            ReleaseCommands.Publish.class,
            ReleaseCommands.Status.class,
            ReleaseCommands.ListReleases.class,
            ReleaseCommands.Approve.class,
            ReleaseCommands.Pause.class,
            ReleaseCommands.Resume.class,
            ReleaseCommands.Abort.class,
            ReleaseCommands.Rollback.class
        })
class ReleaseCommands {

    @ParentCommand
    Mesh mesh;

    @Command(name = "publish", description = "Publish a release; --wait follows it to its end.")
    static class Publish implements Callable<Integer> {
        @ParentCommand
        ReleaseCommands release;

        @Spec
        CommandSpec spec;

        @Option(names = "--env", required = true, description = "Environment (staging, production, ...)")
        String environment;

        @Option(names = "--service", required = true, description = "Platform service, e.g. planning-system")
        String service;

        @Option(names = "--version", required = true, description = "Version being released")
        String version;

        @Option(names = "--image", required = true, description = "Image reference with tag or digest")
        String image;

        @Option(names = "--database", description = "Database the release migrates (repeatable)")
        List<String> databases = new ArrayList<>();

        @Option(names = "--migrations", description = "Flyway script set: directory, classpath or S3 prefix")
        String migrations;

        @Option(names = "--downtime", description = "The release needs downtime: it waits for a maintenance window")
        boolean downtime;

        @Option(
                names = "--idempotency-key",
                description = "Same key, same release: re-runs of a CI job do not publish twice"
                        + " (default in GitHub Actions: $GITHUB_RUN_ID-environment-service-version)")
        String idempotencyKey;

        @Option(names = "--wait", description = "Follow the release until it ends; the exit code says how")
        boolean await;

        @Option(names = "--timeout", defaultValue = "PT60M", description = "How long --wait waits (ISO-8601)")
        Duration timeout;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("environment", environment);
            body.put("service", service);
            body.put("version", version);
            body.put("image", image);
            body.put("databases", databases);
            if (migrations != null) {
                body.put("migrations", migrations);
            }
            body.put("requiresDowntime", downtime);
            Map<String, String> headers = new LinkedHashMap<>();
            String key = idempotencyKey != null ? idempotencyKey : ciKey();
            if (key != null) {
                headers.put("Idempotency-Key", key);
            }
            MeshApi api = release.mesh.api();
            JsonNode created = api.post("api/releases", body, headers);
            PrintWriter out = spec.commandLine().getOut();
            String id = created.get("id").asText();
            out.printf(
                    "%s: %s %s to %s (%s)%n",
                    id, service, version, environment, created.get("state").asText());
            out.flush();
            if (!await) {
                return ExitCode.SUCCEEDED;
            }
            return Follow.untilEnd(api, id, timeout, out);
        }

        private String ciKey() {
            String run = System.getenv("GITHUB_RUN_ID");
            if (run == null) {
                return null;
            }
            return run + "-" + environment + "-" + service + "-" + version;
        }
    }

    @Command(name = "status", description = "A release's state and stage timeline.")
    static class Status implements Callable<Integer> {
        @ParentCommand
        ReleaseCommands release;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "Release id")
        String id;

        @Option(names = "--wait", description = "Follow the release until it ends")
        boolean await;

        @Option(names = "--timeout", defaultValue = "PT60M", description = "How long --wait waits (ISO-8601)")
        Duration timeout;

        @Override
        public Integer call() {
            MeshApi api = release.mesh.api();
            PrintWriter out = spec.commandLine().getOut();
            if (await) {
                return Follow.untilEnd(api, id, timeout, out);
            }
            JsonNode found = api.get("api/releases/" + id);
            Follow.printRelease(found, out);
            return ExitCode.SUCCEEDED;
        }
    }

    @Command(name = "list", description = "Releases, newest first.")
    static class ListReleases implements Callable<Integer> {
        @ParentCommand
        ReleaseCommands release;

        @Spec
        CommandSpec spec;

        @Option(names = "--env")
        String environment;

        @Option(names = "--service")
        String service;

        @Option(names = "--state")
        String state;

        @Option(names = "--size", defaultValue = "20")
        int size;

        @Override
        public Integer call() {
            JsonNode releases = release.mesh
                    .api()
                    .get("api/releases?size=" + size + MeshApi.query("environment", environment)
                            + MeshApi.query("service", service) + MeshApi.query("state", state));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-20s %-12s %-22s %-12s %-16s%n", "ID", "ENV", "SERVICE", "VERSION", "STATE");
            for (JsonNode found : releases) {
                out.printf(
                        "%-20s %-12s %-22s %-12s %-16s%n",
                        found.get("id").asText(),
                        found.get("environment").asText(),
                        found.get("service").asText(),
                        found.get("version").asText(),
                        found.get("state").asText());
            }
            out.flush();
            return ExitCode.SUCCEEDED;
        }
    }

    /** A command on one release ({@code POST /api/releases/{id}/<command>}), recorded with the token's name. */
    abstract static class ReleaseCommand implements Callable<Integer> {
        @ParentCommand
        ReleaseCommands release;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", description = "Release id")
        String id;

        @Option(names = "--reason", description = "Why; recorded with who asked")
        String reason;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("reason", reason);
            JsonNode updated = release.mesh.api().post("api/releases/" + id + "/" + spec.name(), body, Map.of());
            spec.commandLine()
                    .getOut()
                    .printf("%s: %s%n", id, updated.get("state").asText());
            spec.commandLine().getOut().flush();
            return ExitCode.SUCCEEDED;
        }
    }

    @Command(name = "approve", description = "Let a release waiting at its approval gate go on.")
    static class Approve extends ReleaseCommand {}

    @Command(name = "pause", description = "Hold a release after its current stage.")
    static class Pause extends ReleaseCommand {}

    @Command(name = "resume", description = "Let a paused release go on.")
    static class Resume extends ReleaseCommand {}

    @Command(name = "abort", description = "Stop a release where it is; it ends ABORTED.")
    static class Abort extends ReleaseCommand {}

    @Command(name = "rollback", description = "Send a release's traffic back to the previous version.")
    static class Rollback extends ReleaseCommand {}
}
