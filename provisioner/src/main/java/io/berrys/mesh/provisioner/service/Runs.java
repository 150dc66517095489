package io.berrys.mesh.provisioner.service;

import io.berrys.mesh.provisioner.aws.AwsClients;
import io.berrys.mesh.provisioner.aws.AwsProvider;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.engine.Outcome;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.DriftPolicy;
import io.berrys.mesh.provisioner.spec.SpecInvalidException;
import io.berrys.mesh.provisioner.spec.SpecReader;
import io.berrys.mesh.provisioner.spec.Violation;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Plans, applies, drift checks and destroys of environments, each a run with its own progress lines. A run that
 * changes an environment holds its lease: a second one is refused, naming the run that holds it.
 */
@ApplicationScoped
public class Runs {

    private static final Logger LOG = Logger.getLogger(Runs.class);
    private static final Pattern ENVIRONMENT_NAME = Pattern.compile("[a-z][a-z0-9-]{0,30}");

    public enum Action {
        PLAN,
        APPLY,
        DRIFT,
        DESTROY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Action> of(String text) {
            for (Action action : values()) {
                if (action.label().equals(text)) {
                    return Optional.of(action);
                }
            }
            return Optional.empty();
        }
    }

    public enum State {
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    /** One run; its lines grow while it runs. */
    public static final class Run {
        public final String id;
        public final String environment;
        public final Action action;
        public final boolean force;
        public final Instant startedAt = Instant.now();
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        volatile State state = State.RUNNING;
        volatile Instant finishedAt;
        volatile String summary = "";
        volatile int pending;
        volatile List<String> diff = List.of();
        volatile String error;

        Run(String environment, Action action, boolean force) {
            this.id = "run-" + UUID.randomUUID().toString().substring(0, 12);
            this.environment = environment;
            this.action = action;
            this.force = force;
        }

        void say(String line) {
            lines.add(line);
        }

        public State state() {
            return state;
        }

        public Optional<Instant> finishedAt() {
            return Optional.ofNullable(finishedAt);
        }

        public String summary() {
            return summary;
        }

        public int pending() {
            return pending;
        }

        public List<String> diff() {
            return diff;
        }

        public Optional<String> error() {
            return Optional.ofNullable(error);
        }

        /** The lines from {@code from} on, and how many there are in all. */
        public List<String> lines(int from) {
            synchronized (lines) {
                return List.copyOf(lines.subList(Math.min(Math.max(from, 0), lines.size()), lines.size()));
            }
        }

        public int lineCount() {
            return lines.size();
        }
    }

    /** No spec file for the environment. */
    public static final class UnknownEnvironmentException extends RuntimeException {
        UnknownEnvironmentException(String message) {
            super(message);
        }
    }

    /** Another run is changing the environment. */
    public static final class EnvironmentBusyException extends RuntimeException {
        public final Run holder;

        EnvironmentBusyException(Run holder) {
            super("environment " + holder.environment + " is being changed by " + holder.id + " ("
                    + holder.action.label() + ", started " + holder.startedAt
                    + "); wait for it to end, then try again");
            this.holder = holder;
        }
    }

    private final ProvisionerConfig config;
    private final MeterRegistry registry;
    private final AwsClients aws;
    private final ExecutorService observing;
    private final ExecutorService steps;
    private final ExecutorService running;
    private final Engine engine;
    private final Map<String, Run> leases = new ConcurrentHashMap<>();
    private final Map<String, Run> runs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, AtomicLong> drift = new ConcurrentHashMap<>();

    Runs(ProvisionerConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        this.aws = new AwsClients(config.aws().endpoint(), config.aws().callTimeout());
        // Observing and the steps of a wave get pools of their own, so a wave that fills its pool can still look
        // resources up.
        this.observing = Executors.newFixedThreadPool(8, named("provision-observe"));
        this.steps = Executors.newFixedThreadPool(8, named("provision-step"));
        this.running = Executors.newCachedThreadPool(named("provision-run"));
        this.engine = new Engine(new AwsProvider(aws, observing), new MemoryPendingCreates(), steps);
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicLong count = new AtomicLong();
        return task -> {
            Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    void stop(@Observes ShutdownEvent event) {
        running.shutdownNow();
        steps.shutdownNow();
        observing.shutdownNow();
        aws.close();
    }

    /** Reads and checks the environment's spec: nothing reaches a cloud with a spec that breaks a rule. */
    public EnvironmentSpec spec(String environment) {
        if (!ENVIRONMENT_NAME.matcher(environment).matches()) {
            throw new SpecInvalidException(
                    "environment",
                    List.of(
                            new Violation(
                                    "environment",
                                    "must be lower-case letters, digits and '-', starting with a letter, at most 31 characters")));
        }
        Path file = config.environments().resolve(environment + ".yaml");
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UnknownEnvironmentException("no spec for environment " + environment + ": " + file
                    + " does not exist (specs are read from mesh.provisioner.environments)");
        } catch (IOException e) {
            throw new UnknownEnvironmentException("cannot read " + file + ": " + e.getMessage());
        }
        EnvironmentSpec spec = SpecReader.read(file.getFileName().toString(), yaml);
        if (!spec.environment().equals(environment)) {
            throw new SpecInvalidException(
                    file.getFileName().toString(),
                    List.of(new Violation(
                            "environment", "is '" + spec.environment() + "', the file is named for " + environment)));
        }
        if (spec.provider() != EnvironmentSpec.Provider.AWS) {
            throw new SpecInvalidException(
                    file.getFileName().toString(),
                    List.of(new Violation("provider", "only 'aws' is provisioned so far")));
        }
        return spec;
    }

    /** Starts a run; the spec is checked and the lease taken before this returns. */
    public Run start(String environment, Action action, boolean force) {
        EnvironmentSpec spec = spec(environment);
        Run run = new Run(environment, action, force);
        boolean writes = action == Action.APPLY || action == Action.DESTROY;
        if (writes) {
            lease(run);
        }
        remember(run);
        running.submit(() -> execute(run, spec));
        return run;
    }

    private void lease(Run run) {
        Run holder = leases.putIfAbsent(run.environment, run);
        if (holder != null) {
            throw new EnvironmentBusyException(holder);
        }
    }

    private void remember(Run run) {
        synchronized (runs) {
            runs.put(run.id, run);
            var oldest = runs.values().iterator();
            while (runs.size() > config.keptRuns() && oldest.hasNext()) {
                if (oldest.next().state != State.RUNNING) {
                    oldest.remove();
                }
            }
        }
    }

    public Optional<Run> run(String environment, String id) {
        return Optional.ofNullable(runs.get(id)).filter(r -> r.environment.equals(environment));
    }

    private void execute(Run run, EnvironmentSpec spec) {
        Scope scope = new Scope(
                spec.environment(),
                spec.region(),
                spec.drRegion() == null || spec.drRegion().isBlank()
                        ? List.of(spec.region())
                        : List.of(spec.region(), spec.drRegion()));
        List<Resource> desired = Blueprint.aws(spec);
        try {
            run.say(run.action.label() + " " + run.environment + ": " + desired.size() + " resources in the spec");
            switch (run.action) {
                case PLAN -> finish(run, engine.plan(scope, desired));
                case DRIFT -> {
                    Plan found = engine.plan(scope, desired);
                    gauge(run.environment).set(found.pending().size());
                    finish(run, found);
                    if (!found.pending().isEmpty() && spec.drift() == DriftPolicy.REMEDIATE) {
                        run.say("the spec's drift policy is remediate: applying");
                        lease(run);
                        Outcome applied = engine.apply(scope, desired, false, run::say);
                        gauge(run.environment)
                                .set(engine.plan(scope, desired).pending().size());
                        run.summary = applied.summary();
                    }
                }
                case APPLY -> {
                    Outcome outcome = engine.apply(scope, desired, run.force, run::say);
                    finish(run, outcome.plan());
                    gauge(run.environment)
                            .set(engine.plan(scope, desired).pending().size());
                }
                case DESTROY -> {
                    Outcome outcome = engine.destroy(scope, run.force, run::say);
                    finish(run, outcome.plan());
                    if (!outcome.kept().isEmpty()) {
                        run.say("kept (protected, or a protected resource stands on them; --force deletes them): "
                                + String.join(", ", outcome.kept()));
                    }
                }
            }
            run.state = State.SUCCEEDED;
        } catch (RuntimeException e) {
            run.error = e.getMessage();
            run.say("failed: " + e.getMessage());
            run.state = State.FAILED;
            LOG.warnf("%s of %s (%s) failed: %s", run.action.label(), run.environment, run.id, e.getMessage());
        } finally {
            run.finishedAt = Instant.now();
            leases.remove(run.environment, run);
        }
        run.say(run.action.label() + " " + run.environment + " "
                + run.state.name().toLowerCase(Locale.ROOT) + ": " + run.summary);
    }

    private static void finish(Run run, Plan plan) {
        run.summary = plan.summary();
        run.pending = plan.pending().size();
        run.diff = plan.diff();
        if (run.action == Action.PLAN || run.action == Action.DRIFT) {
            plan.diff().forEach(run::say);
        }
    }

    private AtomicLong gauge(String environment) {
        return drift.computeIfAbsent(environment, env -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("mesh.environment.drift.resources", value, AtomicLong::get)
                    .description("Resources of an environment that differ from its spec at the last drift check")
                    .tag("environment", env)
                    .register(registry);
            return value;
        });
    }

    @Scheduled(
            every = "${mesh.provisioner.drift-interval:PT15M}",
            delayed = "PT1M",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduledDriftCheck() {
        for (String environment : config.driftEnvironments().orElse(List.of())) {
            try {
                start(environment, Action.DRIFT, false);
            } catch (RuntimeException e) {
                LOG.warnf("scheduled drift check of %s not started: %s", environment, e.getMessage());
            }
        }
    }
}
