package io.berrys.mesh.provisioner.service;

import io.berrys.mesh.provisioner.aws.AwsClients;
import io.berrys.mesh.provisioner.aws.AwsProvider;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.engine.Outcome;
import io.berrys.mesh.provisioner.local.LocalProvider;
import io.berrys.mesh.provisioner.local.Postgres;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.records.LeaseRecord;
import io.berrys.mesh.provisioner.records.Records;
import io.berrys.mesh.provisioner.records.RunRecord;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.DriftPolicy;
import io.berrys.mesh.provisioner.spec.SpecInvalidException;
import io.berrys.mesh.provisioner.spec.SpecReader;
import io.berrys.mesh.provisioner.spec.Violation;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
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
        public final Instant startedAt;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        volatile State state = State.RUNNING;
        volatile Instant finishedAt;
        volatile String summary = "";
        volatile int pending;
        volatile List<String> diff = List.of();
        volatile String error;
        volatile boolean leased;
        volatile java.util.concurrent.Future<?> task;
        /** Why the run was told to stop, if it was. */
        volatile String stopped;

        Run(String environment, Action action, boolean force) {
            this("run-" + UUID.randomUUID().toString().substring(0, 12), environment, action, force, Instant.now());
        }

        private Run(String id, String environment, Action action, boolean force, Instant startedAt) {
            this.id = id;
            this.environment = environment;
            this.action = action;
            this.force = force;
            this.startedAt = startedAt;
        }

        static Run of(RunRecord record) {
            Run run = new Run(
                    record.id,
                    record.environment,
                    Action.of(record.action).orElseThrow(),
                    record.force,
                    record.startedAt);
            run.state = State.valueOf(record.state);
            run.finishedAt = record.finishedAt;
            run.summary = record.summary;
            run.pending = record.pending;
            run.diff = record.diff.isEmpty() ? List.of() : List.of(record.diff.split("\n"));
            if (!record.lines.isEmpty()) {
                run.lines.addAll(List.of(record.lines.split("\n")));
            }
            run.error = record.error;
            return run;
        }

        RunRecord record() {
            RunRecord record = new RunRecord();
            record.id = id;
            record.environment = environment;
            record.action = action.label();
            record.force = force;
            record.state = state.name();
            record.startedAt = startedAt;
            record.finishedAt = finishedAt;
            record.summary = summary;
            record.pending = pending;
            record.diff = String.join("\n", diff);
            synchronized (lines) {
                record.lines = String.join("\n", lines);
            }
            record.error = error;
            record.renewedAt = Instant.now();
            return record;
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
        EnvironmentBusyException(String environment, LeaseRecord holder) {
            super("environment " + environment + " is being changed by " + holder.runId + " (" + holder.action
                    + ", started " + holder.takenAt + "); wait for it to end, then try again");
        }
    }

    /** A spec as read from its file: the text is what an apply records. */
    public record Loaded(EnvironmentSpec spec, String yaml) {}

    private final ProvisionerConfig config;
    private final MeterRegistry registry;
    private final AwsClients aws;
    private final AwsClients localS3;
    private final ExecutorService observing;
    private final ExecutorService steps;
    private final ExecutorService running;
    private final Engine awsEngine;
    private volatile KubernetesClient kubernetes;
    private volatile Engine localEngine;

    private final Map<String, Run> runs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, AtomicLong> drift = new ConcurrentHashMap<>();

    private final Records records;

    Runs(ProvisionerConfig config, MeterRegistry registry, Records records) {
        this.config = config;
        this.records = records;
        this.registry = registry;
        this.aws = new AwsClients(config.aws().endpoint(), config.aws().callTimeout());
        this.localS3 = new AwsClients(
                config.local().s3Endpoint().or(() -> config.aws().endpoint()),
                config.aws().callTimeout());
        // Observing and the steps of a wave get pools of their own, so a wave that fills its pool can still look
        // resources up.
        this.observing = Executors.newFixedThreadPool(8, named("provision-observe"));
        this.steps = Executors.newFixedThreadPool(8, named("provision-step"));
        this.running = Executors.newCachedThreadPool(named("provision-run"));
        this.awsEngine = new Engine(new AwsProvider(aws, observing), records, steps);
    }

    /**
     * The engine for the spec's provider. The local one is made at its first use: a provisioner that only ever
     * provisions AWS never connects to a cluster or a local database server. Its cluster is the one fabric8's usual
     * settings name: a kubeconfig, the {@code kubernetes.master} property, or the pod's service account.
     */
    private Engine engine(EnvironmentSpec spec) {
        if (spec.provider() == EnvironmentSpec.Provider.AWS) {
            return awsEngine;
        }
        Engine local = localEngine;
        if (local == null) {
            synchronized (this) {
                local = localEngine;
                if (local == null) {
                    var settings = config.local();
                    if (config.local()
                            .s3Endpoint()
                            .or(() -> config.aws().endpoint())
                            .isEmpty()) {
                        // Without one the buckets of a local environment would be made in AWS itself.
                        throw new IllegalStateException("the local provider keeps buckets in a local S3 server: set"
                                + " mesh.provisioner.local.s3-endpoint (or mesh.provisioner.aws.endpoint)");
                    }
                    var postgres = settings.postgres();
                    if (postgres.password().filter(p -> !p.isBlank()).isEmpty()) {
                        throw new IllegalStateException("the local provider needs the password of its PostgreSQL role "
                                + postgres.user() + ": set mesh.provisioner.local.postgres.password"
                                + " (MESH_PROVISIONER_PG_PASSWORD; deploy/local/servers.sh env prints it)");
                    }
                    local = new Engine(
                            new LocalProvider(
                                    kubernetes = new KubernetesClientBuilder().build(),
                                    new Postgres(
                                            postgres.host(),
                                            postgres.port(),
                                            postgres.database(),
                                            postgres.user(),
                                            postgres.password().get()),
                                    settings.redisUrl(),
                                    localS3,
                                    observing),
                            records,
                            steps);
                    localEngine = local;
                }
            }
        }
        return local;
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
        localS3.close();
        if (kubernetes != null) {
            kubernetes.close();
        }
    }

    /** Reads and checks the environment's spec: nothing reaches a cloud with a spec that breaks a rule. */
    public EnvironmentSpec spec(String environment) {
        return load(environment).spec();
    }

    private Loaded load(String environment) {
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
        return new Loaded(spec, yaml);
    }

    /** Starts a run; the spec is checked and the lease taken before this returns. */
    public Run start(String environment, Action action, boolean force) {
        Loaded spec = load(environment);
        Run run = new Run(environment, action, force);
        boolean writes = action == Action.APPLY || action == Action.DESTROY;
        if (writes) {
            lease(run);
        }
        remember(run);
        run.task = running.submit(() -> execute(run, spec));
        return run;
    }

    private void lease(Run run) {
        records.takeLease(run.environment, run.id, run.action.label()).ifPresent(holder -> {
            throw new EnvironmentBusyException(run.environment, holder);
        });
        run.leased = true;
    }

    private void remember(Run run) {
        records.save(run.record());
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

    /** A run kept here, or else one recorded (it ran before a restart, or in another provisioner). */
    public Optional<Run> run(String environment, String id) {
        Run kept = runs.get(id);
        if (kept == null) {
            kept = records.run(id).map(Run::of).orElse(null);
        }
        return Optional.ofNullable(kept).filter(r -> r.environment.equals(environment));
    }

    /** Fingerprint of what a spec stands for: the same resources give the same fingerprint, whatever the layout. */
    static String fingerprint(List<Resource> resources) {
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest(resources.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(Run run, Loaded loaded) {
        EnvironmentSpec spec = loaded.spec();
        Scope scope = new Scope(
                spec.environment(),
                spec.region(),
                spec.drRegion() == null || spec.drRegion().isBlank()
                        ? List.of(spec.region())
                        : List.of(spec.region(), spec.drRegion()));
        try {
            Engine engine = engine(spec);
            List<Resource> desired = Blueprint.of(spec);
            run.say(run.action.label() + " " + run.environment + ": " + desired.size() + " resources in the spec");
            switch (run.action) {
                case PLAN -> {
                    finish(run, engine.plan(scope, desired));
                    List<String> begun = records.pending(run.environment);
                    if (!begun.isEmpty()) {
                        run.say("creates begun by a run that did not end: " + String.join(", ", begun)
                                + " (the next apply finishes them with the same idempotency tokens)");
                    }
                    records.applied(run.environment).ifPresent(applied -> {
                        if (!applied.fingerprint.equals(fingerprint(desired))) {
                            run.say("the spec has changed since the last apply (" + applied.runId + " at "
                                    + applied.appliedAt + ")");
                        }
                    });
                }
                case DRIFT -> {
                    // Drift is the cloud against what was last applied, not against edits not applied yet.
                    // An apply with another provider made other resources: this provider has nothing of it to check.
                    var applied = records.applied(run.environment)
                            .filter(a ->
                                    SpecReader.read("the applied spec", a.spec).provider() == spec.provider());
                    List<Resource> baseline = applied.map(
                                    a -> Blueprint.of(SpecReader.read("the applied spec", a.spec)))
                            .orElse(desired);
                    run.say(applied.map(a -> "against the spec applied by " + a.runId + " at " + a.appliedAt)
                            .orElse("no apply recorded with this provider: against the spec file"));
                    Plan found = engine.plan(scope, baseline);
                    gauge(run.environment).set(found.pending().size());
                    finish(run, found);
                    if (!found.pending().isEmpty() && spec.drift() == DriftPolicy.REMEDIATE) {
                        run.say("the spec's drift policy is remediate: applying");
                        lease(run);
                        Outcome remediated = engine.apply(scope, baseline, false, run::say);
                        gauge(run.environment)
                                .set(engine.plan(scope, baseline).pending().size());
                        run.summary = remediated.summary();
                    }
                }
                case APPLY -> {
                    Outcome outcome = engine.apply(scope, desired, run.force, run::say);
                    finish(run, outcome.plan());
                    if (run.stopped != null) {
                        // Its last wave ended after the lease was lost: another run's spec may be the current one.
                        throw new IllegalStateException("the apply is not recorded as the environment's spec");
                    }
                    records.applied(run.environment, fingerprint(desired), loaded.yaml(), run.id);
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
        } catch (Throwable e) {
            // Anything at all: a run that stays RUNNING would hold its lease, renewed, until a restart.
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (run.stopped != null) {
                message = run.stopped + "; " + message;
            }
            run.error = message;
            run.say("failed: " + message);
            run.state = State.FAILED;
            LOG.warnf("%s of %s (%s) failed: %s", run.action.label(), run.environment, run.id, message);
        } finally {
            run.finishedAt = Instant.now();
            // A run told to stop was interrupted; its records are still written.
            Thread.interrupted();
        }
        run.say(run.action.label() + " " + run.environment + " "
                + run.state.name().toLowerCase(Locale.ROOT) + ": " + run.summary);
        try {
            records.save(run.record());
        } catch (RuntimeException e) {
            LOG.warnf("%s could not be recorded: %s", run.id, e.getMessage());
        } finally {
            if (run.leased) {
                records.releaseLease(run.environment, run.id);
            }
        }
    }

    /** Keeps the leases and runs of this provisioner's running runs alive, and fails those of stopped ones. */
    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        List<Run> running;
        synchronized (runs) {
            running =
                    runs.values().stream().filter(r -> r.state == State.RUNNING).toList();
        }
        List<String> lost = records.renew(
                running.stream().map(r -> r.id).toList(),
                running.stream()
                        .filter(r -> r.leased)
                        .collect(java.util.stream.Collectors.toMap(r -> r.id, r -> r.environment)));
        for (Run run : running) {
            if (lost.contains(run.id) && run.state == State.RUNNING) {
                // Another run may be changing the environment: this one stops before its next step.
                run.leased = false;
                run.stopped = "the lease on " + run.environment + " was taken over by another run";
                run.say("the lease on " + run.environment + " was taken over (not renewed for "
                        + Records.STALE_AFTER.toSeconds() + " s); stopping");
                LOG.warnf("%s lost its lease on %s; stopping it", run.id, run.environment);
                var task = run.task;
                if (task != null) {
                    task.cancel(true);
                }
            }
        }
        int abandoned = records.failAbandonedRuns();
        if (abandoned > 0) {
            LOG.warnf("%d runs of a provisioner that stopped were marked failed", abandoned);
        }
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
