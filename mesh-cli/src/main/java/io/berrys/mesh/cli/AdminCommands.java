package io.berrys.mesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "admin",
        description = "Maintenance of the coordinator (admin token with every environment).",
        subcommands = {AdminCommands.Rebuild.class, AdminCommands.RebuildStatus.class})
class AdminCommands {

    @ParentCommand
    Mesh mesh;

    /** How often a followed rebuild is asked for its progress. */
    private static final Duration POLL = Duration.ofSeconds(1);
    /** How often progress gets a line of its own when the output is not a terminal (a CI log). */
    private static final Duration LOG_EVERY = Duration.ofSeconds(10);

    @Command(
            name = "rebuild",
            description = "Rebuild releases and stages from the event log while the coordinator keeps working, and"
                    + " follow it with a progress line.")
    static class Rebuild implements Callable<Integer> {
        @ParentCommand
        AdminCommands admin;

        @Spec
        CommandSpec spec;

        @Option(names = "--no-wait", description = "Start it, print its id and return")
        boolean noWait;

        @Option(names = "--timeout", defaultValue = "PT2H", description = "How long to follow it (ISO-8601)")
        Duration timeout;

        @Override
        public Integer call() {
            MeshApi api = admin.mesh.api();
            JsonNode job = api.post("api/admin/rebuild", Map.of(), Map.of());
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    "%s: started, %,d events in the log%n",
                    job.get("id").asText(), job.get("eventsTotal").asLong());
            out.flush();
            return noWait ? ExitCode.SUCCEEDED : follow(api, job.get("id").asText(), timeout, out);
        }
    }

    @Command(name = "rebuild-status", description = "A rebuild's progress or outcome; --wait follows it.")
    static class RebuildStatus implements Callable<Integer> {
        @ParentCommand
        AdminCommands admin;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "REBUILD", description = "Rebuild id, as 'mesh admin rebuild' printed it")
        String id;

        @Option(names = "--wait", description = "Follow it until it ends")
        boolean await;

        @Option(names = "--timeout", defaultValue = "PT2H", description = "How long --wait follows it (ISO-8601)")
        Duration timeout;

        @Override
        public Integer call() {
            MeshApi api = admin.mesh.api();
            PrintWriter out = spec.commandLine().getOut();
            if (await) {
                return follow(api, id, timeout, out);
            }
            JsonNode job = api.get("api/admin/rebuilds/" + id);
            out.println(describe(job));
            out.flush();
            return exitCode(job);
        }
    }

    /** Polls the rebuild until it ends: one line rewritten in a terminal, a line now and then in a log. */
    static int follow(MeshApi api, String id, Duration timeout, PrintWriter out) {
        boolean terminal = System.console() != null;
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastLine = 0;
        while (true) {
            JsonNode job = api.get("api/admin/rebuilds/" + id);
            String line = describe(job);
            boolean running = "RUNNING".equals(job.get("state").asText());
            if (!running) {
                out.println(terminal ? "\r" + line + "\033[K" : line);
                out.flush();
                return exitCode(job);
            }
            if (terminal) {
                out.print("\r" + line + "\033[K");
                out.flush();
            } else if (System.nanoTime() - lastLine >= LOG_EVERY.toNanos()) {
                lastLine = System.nanoTime();
                out.println(line);
                out.flush();
            }
            if (System.nanoTime() > deadline) {
                out.println();
                out.printf("%s still runs; follow it with 'mesh admin rebuild-status %s --wait'%n", id, id);
                out.flush();
                return ExitCode.TIMED_OUT;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCode.TIMED_OUT;
            }
        }
    }

    static String describe(JsonNode job) {
        String id = job.get("id").asText();
        String state = job.get("state").asText();
        long replayed = job.get("eventsReplayed").asLong();
        long total = job.get("eventsTotal").asLong();
        if ("RUNNING".equals(state)) {
            StringBuilder line = new StringBuilder(String.format(
                    "%s %s: %,d of %,d events", id, job.get("phase").asText(), replayed, total));
            if (total > 0) {
                line.append(String.format(" (%d %%)", Math.min(100, replayed * 100 / total)));
            }
            if (job.hasNonNull("eventsPerSecond")) {
                line.append(String.format(
                        ", %,.0f events/s", job.get("eventsPerSecond").asDouble()));
            }
            if (job.hasNonNull("etaSeconds")) {
                line.append(
                        String.format(", about %d s left", job.get("etaSeconds").asLong()));
            }
            return line.toString();
        }
        StringBuilder line = new StringBuilder(id + " " + state + ": " + text(job, "message"));
        if (job.hasNonNull("eventsPerSecond")) {
            line.append(
                    String.format(" (%,.0f events/s", job.get("eventsPerSecond").asDouble()));
            if (job.hasNonNull("longestPauseMs")) {
                line.append(String.format(
                        "; live writers waited %d ms", job.get("longestPauseMs").asLong()));
            }
            line.append(")");
        }
        return line.toString();
    }

    private static int exitCode(JsonNode job) {
        return switch (job.get("state").asText()) {
            case "SUCCEEDED", "RUNNING" -> ExitCode.SUCCEEDED;
            default -> ExitCode.FAILED;
        };
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : "";
    }
}
