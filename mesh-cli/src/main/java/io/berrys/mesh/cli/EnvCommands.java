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
        name = "env",
        description = "Plan, apply, drift-check and destroy an environment from its spec (the provisioner's"
                + " deploy/environments/<ENV>.yaml), with its progress as it goes.",
        subcommands = {
            EnvCommands.Plan.class,
            EnvCommands.Apply.class,
            EnvCommands.Drift.class,
            EnvCommands.Destroy.class
        })
class EnvCommands {

    @ParentCommand
    Mesh mesh;

    private static final Duration POLL = Duration.ofMillis(500);

    abstract static class EnvRun implements Callable<Integer> {
        @ParentCommand
        EnvCommands env;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ENV", description = "The environment (its spec's file name)")
        String environment;

        @Option(names = "--timeout", defaultValue = "PT2H", description = "How long to follow the run (ISO-8601)")
        Duration timeout;

        abstract String action();

        boolean force() {
            return false;
        }

        /** Whether the environment differing from its spec is the answer (plan, drift) rather than a failure. */
        boolean reportsChanges() {
            return false;
        }

        Integer refuse() {
            return null;
        }

        @Override
        public Integer call() {
            Integer refused = refuse();
            if (refused != null) {
                return refused;
            }
            MeshApi api = env.mesh.provisioner();
            String runs = "environments/" + environment + "/runs";
            JsonNode run = api.post(runs, Map.of("action", action(), "force", force()), Map.of());
            String id = run.get("id").asText();
            PrintWriter out = spec.commandLine().getOut();
            out.println(id + ": " + action() + " of " + environment);
            out.flush();
            int seen = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                run = api.get(runs + "/" + id + "?after=" + seen);
                for (JsonNode line : run.get("lines")) {
                    out.println(line.asText());
                }
                out.flush();
                seen = run.get("next").asInt();
                String state = run.get("state").asText();
                if (!state.equals("RUNNING")) {
                    if (state.equals("FAILED")) {
                        return ExitCode.API_ERROR;
                    }
                    return reportsChanges() && run.get("pending").asInt() > 0
                            ? ExitCode.CHANGES_PENDING
                            : ExitCode.SUCCEEDED;
                }
                if (System.nanoTime() > deadline) {
                    spec.commandLine()
                            .getErr()
                            .println("mesh: " + id + " is still running after " + timeout
                                    + "; it goes on in the provisioner (mesh env ... again shows the lease)");
                    return ExitCode.TIMED_OUT;
                }
                sleep();
            }
        }

        private static void sleep() {
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MeshApi.ApiException("interrupted");
            }
        }
    }

    @Command(name = "plan", description = "What an apply would do. Exit 0: nothing; 2: changes pending; 1: failed.")
    static class Plan extends EnvRun {
        @Override
        String action() {
            return "plan";
        }

        @Override
        boolean reportsChanges() {
            return true;
        }
    }

    @Command(
            name = "drift",
            description = "How the environment differs from its spec, as a diff; repaired only when the spec's drift"
                    + " policy is remediate. Exit 0: no drift; 2: drift; 1: failed.")
    static class Drift extends Plan {
        @Override
        String action() {
            return "drift";
        }
    }

    @Command(name = "apply", description = "Make the environment what its spec says. Exit 0: done; 1: failed.")
    static class Apply extends EnvRun {
        @Option(names = "--force", description = "Let the apply replace protected resources")
        boolean force;

        @Override
        String action() {
            return "apply";
        }

        @Override
        boolean force() {
            return force;
        }
    }

    @Command(
            name = "destroy",
            description = "Delete the environment's resources, deepest first, keeping protected ones (and what they"
                    + " stand on) unless forced. Asks first on a terminal; elsewhere needs --auto-approve.")
    static class Destroy extends EnvRun {
        @Option(names = "--force", description = "Delete protected resources too")
        boolean force;

        @Option(names = "--auto-approve", description = "Do not ask (required when not on a terminal)")
        boolean autoApprove;

        @Override
        String action() {
            return "destroy";
        }

        @Override
        boolean force() {
            return force;
        }

        @Override
        Integer refuse() {
            if (autoApprove) {
                return null;
            }
            var console = System.console();
            if (console == null) {
                spec.commandLine()
                        .getErr()
                        .println("mesh: destroy of " + environment + " needs --auto-approve when not run from a"
                                + " terminal; nothing was started");
                return ExitCode.USAGE;
            }
            String answer = console.readLine(
                    "Destroy every %sresource of %s? Type the environment's name to go ahead: ",
                    force ? "" : "unprotected ", environment);
            if (!environment.equals(answer == null ? "" : answer.strip())) {
                spec.commandLine().getErr().println("mesh: not confirmed; nothing was started");
                return ExitCode.USAGE;
            }
            return null;
        }
    }
}
