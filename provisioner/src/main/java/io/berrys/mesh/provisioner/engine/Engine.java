package io.berrys.mesh.provisioner.engine;

import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Action;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.plan.Change;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.plan.Planner;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Inventory;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.Provider;
import io.berrys.mesh.provisioner.provider.Scope;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * Carries a plan out: deletes deepest first, then creates and updates from the roots down, each wave of
 * independent resources in parallel. A create is preceded by a pending marker and, when its answer is lost, the
 * resource is looked up by its tags before the create is tried again, so a retry or a crash never makes it twice.
 */
public final class Engine {

    private static final int ATTEMPTS = 5;

    private final Provider provider;
    private final PendingCreates pending;
    private final ExecutorService pool;

    public Engine(Provider provider, PendingCreates pending, ExecutorService pool) {
        this.provider = provider;
        this.pending = pending;
        this.pool = pool;
    }

    public Plan plan(Scope scope, List<Resource> desired) {
        return Planner.plan(desired, observe(scope));
    }

    public Outcome apply(Scope scope, List<Resource> desired, boolean force, Progress progress) {
        Map<String, Observed> observed = observe(scope);
        Plan plan = Planner.plan(desired, observed);
        if (!force && !plan.blocked().isEmpty()) {
            throw new ProtectedResourcesException(plan.blocked());
        }
        execute(scope, plan, observed, progress);
        return new Outcome("apply", plan, List.of());
    }

    /** Deletes every resource of the environment but the protected ones, unless forced. */
    public Outcome destroy(Scope scope, boolean force, Progress progress) {
        Map<String, Observed> observed = observe(scope);
        List<Resource> kept = new ArrayList<>();
        if (!force) {
            // Keeping a protected resource keeps what it stands on too.
            observed.values().stream().filter(Observed::protect).forEach(o -> keep(o, observed, kept));
        }
        Plan plan = Planner.plan(kept, observed);
        execute(scope, plan, observed, progress);
        return new Outcome("destroy", plan, kept.stream().map(Resource::id).toList());
    }

    private static void keep(Observed resource, Map<String, Observed> observed, List<Resource> kept) {
        if (kept.stream().anyMatch(r -> r.id().equals(resource.id()))) {
            return;
        }
        kept.add(new Resource(resource.id(), resource.kind(), resource.attributes(), resource.protect()));
        for (String dependency : resource.dependencies()) {
            Observed needed = observed.get(dependency);
            if (needed != null) {
                keep(needed, observed, kept);
            }
        }
    }

    private void execute(Scope scope, Plan plan, Map<String, Observed> observed, Progress progress) {
        Inventory inventory = new Inventory();
        observed.values().forEach(o -> inventory.put(o.id(), o.physicalId(), o.outputs()));
        List<Change> removals = plan.changes().stream().filter(Change::destroys).toList();
        List<List<Change>> deleteWaves = new ArrayList<>(Planner.waves(removals));
        java.util.Collections.reverse(deleteWaves);
        // A failed delete leaves what it stands on in place, and every other branch still goes.
        Set<String> standing = new HashSet<>();
        StepFailedException firstFailure = null;
        for (List<Change> wave : deleteWaves) {
            List<Change> deletable =
                    wave.stream().filter(c -> !standing.contains(c.id())).toList();
            wave.stream().filter(c -> standing.contains(c.id())).forEach(c -> {
                progress.report("- keeping " + c.id() + ": a resource that stands on it was not deleted");
                standOn(c.id(), observed, standing);
            });
            Map<String, RuntimeException> failed = attempt(deletable, change -> {
                progress.report("- deleting " + change.id());
                provider.delete(scope, change.observed(), message -> progress.report("  " + message));
                inventory.remove(change.id());
                progress.report("- deleted " + change.id());
            });
            for (var failure : failed.entrySet()) {
                progress.report("! " + failure.getKey() + " was not deleted: "
                        + failure.getValue().getMessage());
                standOn(failure.getKey(), observed, standing);
                if (firstFailure == null) {
                    firstFailure = new StepFailedException(failure.getKey(), failure.getValue());
                }
            }
        }
        if (firstFailure != null) {
            throw firstFailure;
        }
        List<Change> rest = plan.changes().stream()
                .filter(c -> c.action() == Action.CREATE || c.action() == Action.REPLACE || c.action() == Action.UPDATE)
                .toList();
        for (List<Change> wave : Planner.waves(rest)) {
            run(wave, change -> {
                if (change.action() == Action.UPDATE) {
                    progress.report("~ updating " + change.id() + ": " + change.attributes());
                    retrying(() -> provider.update(
                            scope,
                            change.desired(),
                            change.observed(),
                            change.attributes(),
                            inventory,
                            progress::report));
                    progress.report("~ updated " + change.id());
                } else {
                    progress.report("+ creating " + change.id());
                    create(scope, change.desired(), inventory, progress);
                    progress.report("+ created " + change.id());
                }
            });
        }
    }

    private void create(Scope scope, Resource desired, Inventory inventory, Progress progress) {
        String token = pending.token(scope.environment(), desired.id())
                .orElseGet(() -> UUID.randomUUID().toString());
        pending.begin(scope.environment(), desired.id(), desired.kind().label(), token);
        for (int attempt = 1; ; attempt++) {
            try {
                Created created =
                        provider.create(scope, desired, inventory, token, message -> progress.report("  " + message));
                inventory.put(desired.id(), created.physicalId(), created.outputs());
                pending.done(scope.environment(), desired.id());
                return;
            } catch (RuntimeException failure) {
                if (!provider.transientFailure(failure) || attempt == ATTEMPTS) {
                    throw failure;
                }
                progress.report(
                        "  " + desired.id() + ": " + failure.getMessage() + "; looking it up before trying again");
                pause(attempt);
                Optional<Observed> made = retryingLookup(scope, desired);
                if (made.isPresent()) {
                    adopt(scope, desired, made.get(), inventory, progress);
                    pending.done(scope.environment(), desired.id());
                    return;
                }
            }
        }
    }

    /** A create that happened although its answer was lost: finish what the create would have set. */
    private void adopt(Scope scope, Resource desired, Observed made, Inventory inventory, Progress progress) {
        progress.report(
                "  " + desired.id() + " was created (" + made.physicalId() + "); the lost answer is not retried");
        inventory.put(desired.id(), made.physicalId(), made.outputs());
        List<AttributeChange> missing = Planner.diff(desired, made);
        if (!missing.isEmpty()) {
            retrying(() -> provider.update(scope, desired, made, missing, inventory, progress::report));
        }
    }

    /** An observation, tried again after a throttled, failed or unanswered read: reads change nothing. */
    private Map<String, Observed> observe(Scope scope) {
        return retried(() -> provider.observe(scope));
    }

    private Optional<Observed> retryingLookup(Scope scope, Resource desired) {
        return retried(() -> provider.find(scope, desired.kind(), desired.id()));
    }

    private void retrying(Runnable call) {
        retried(() -> {
            call.run();
            return null;
        });
    }

    /** A call that is safe to repeat, tried again after a transient failure, up to {@link #ATTEMPTS} times. */
    private <T> T retried(java.util.function.Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (RuntimeException failure) {
                if (!provider.transientFailure(failure) || attempt == ATTEMPTS) {
                    throw failure;
                }
                pause(attempt);
            }
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(Math.min(200L << attempt, 10_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Runs one wave in parallel; when a step fails the wave still finishes, and the first failure is thrown. */
    private void run(List<Change> wave, Consumer<Change> step) {
        Map<String, RuntimeException> failed = attempt(wave, step);
        if (!failed.isEmpty()) {
            var first = failed.entrySet().iterator().next();
            throw new StepFailedException(first.getKey(), first.getValue());
        }
    }

    /** Runs one wave in parallel to its end; the failures by resource, in the wave's order. */
    private Map<String, RuntimeException> attempt(List<Change> wave, Consumer<Change> step) {
        // A run told to stop (its lease lost, the service shutting down) lets the wave under way end, and starts
        // no other: a call to a cloud API cut in the middle would leave its answer unknown.
        if (Thread.currentThread().isInterrupted()) {
            throw new StoppedException(wave.stream().map(Change::id).toList());
        }
        List<CompletableFuture<Void>> steps = wave.stream()
                .map(change -> CompletableFuture.runAsync(() -> step.accept(change), pool))
                .toList();
        Map<String, RuntimeException> failed = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            try {
                steps.get(i).join();
            } catch (java.util.concurrent.CompletionException e) {
                failed.put(wave.get(i).id(), e.getCause() instanceof RuntimeException r ? r : e);
            }
        }
        return failed;
    }

    /** Marks everything a resource stands on, directly or not, as staying. */
    private static void standOn(String id, Map<String, Observed> observed, Set<String> standing) {
        Observed resource = observed.get(id);
        if (resource == null) {
            return;
        }
        for (String dependency : resource.dependencies()) {
            if (standing.add(dependency)) {
                standOn(dependency, observed, standing);
            }
        }
    }

    /** One step of a run failed; the steps before it stand, and the next apply picks up from there. */
    public static final class StepFailedException extends RuntimeException {
        public StepFailedException(String id, RuntimeException cause) {
            super(id + ": " + cause.getMessage(), cause);
        }
    }

    /** The run was told to stop between two waves; what is left is for the next apply. */
    public static final class StoppedException extends RuntimeException {
        public StoppedException(List<String> notStarted) {
            super("stopped before " + String.join(", ", notStarted));
        }
    }
}
