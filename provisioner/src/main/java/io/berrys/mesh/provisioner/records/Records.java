package io.berrys.mesh.provisioner.records;

import io.berrys.mesh.provisioner.engine.PendingCreates;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The provisioner's records in PostgreSQL: create-pending markers, applied specs, leases and runs. Called from the
 * worker threads runs execute on, so each call waits for its transaction. The native statements name the schema
 * ({@code quarkus.flyway.schemas}): only mapped entities get Hibernate's default schema.
 */
@ApplicationScoped
public class Records implements PendingCreates {

    /** A lease or run not renewed for this long belonged to a provisioner that stopped. */
    public static final Duration STALE_AFTER = Duration.ofSeconds(60);

    private static <T> T await(Supplier<Uni<T>> work) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(work));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("the provisioner's records are out of reach: " + e.getMessage(), e);
        }
    }

    /** Microseconds, as PostgreSQL keeps them: what is written reads back equal. */
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    // ---------------------------------------------------------------- leases

    /**
     * Takes the environment's lease for a run, or takes over one whose holder stopped renewing it.
     *
     * @return empty when taken; the holder when another run has it
     */
    public Optional<LeaseRecord> takeLease(String environment, String runId, String action) {
        Instant now = now();
        int taken = await(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(
                                "INSERT INTO provisioner.lease (environment, run_id, action, taken_at, renewed_at)"
                                        + " VALUES (:environment, :run, :action, :now, :now)"
                                        + " ON CONFLICT (environment) DO UPDATE SET run_id = :run, action = :action,"
                                        + " taken_at = :now, renewed_at = :now WHERE lease.renewed_at < :stale")
                        .setParameter("environment", environment)
                        .setParameter("run", runId)
                        .setParameter("action", action)
                        .setParameter("now", now)
                        .setParameter("stale", now.minus(STALE_AFTER))
                        .executeUpdate()));
        if (taken == 1) {
            return Optional.empty();
        }
        LeaseRecord holder = await(() -> LeaseRecord.<LeaseRecord>findById(environment));
        // Released between the two statements: free now.
        return holder == null ? takeLease(environment, runId, action) : Optional.of(holder);
    }

    public void releaseLease(String environment, String runId) {
        await(() -> LeaseRecord.delete("environment = ?1 and runId = ?2", environment, runId));
    }

    /**
     * Renews the runs and the leases they hold, and names the runs of {@code leased} (run id to environment) whose
     * environment's lease another run holds now: taken over after this provisioner failed to renew it in time (a
     * long pause, PostgreSQL unreachable). A lease released by a run that just ended is not counted.
     */
    public List<String> renew(List<String> running, Map<String, String> leased) {
        if (running.isEmpty()) {
            return List.of();
        }
        Instant now = now();
        List<LeaseRecord> held = await(() -> LeaseRecord.update("renewedAt = ?1 where runId in ?2", now, running)
                .chain(() -> RunRecord.update("renewedAt = ?1 where id in ?2 and state = 'RUNNING'", now, running))
                .chain(() -> leased.isEmpty()
                        ? io.smallrye.mutiny.Uni.createFrom().item(List.<LeaseRecord>of())
                        : LeaseRecord.<LeaseRecord>list(
                                "environment in ?1", List.copyOf(new java.util.HashSet<>(leased.values())))));
        Map<String, String> holders = new java.util.HashMap<>();
        held.forEach(lease -> holders.put(lease.environment, lease.runId));
        return leased.entrySet().stream()
                .filter(e -> holders.containsKey(e.getValue())
                        && !holders.get(e.getValue()).equals(e.getKey()))
                .map(Map.Entry::getKey)
                .toList();
    }

    // ---------------------------------------------------------------- create-pending markers

    @Override
    public Optional<String> token(String environment, String id) {
        return await(() -> Panache.getSession()
                        .chain(session -> session.createNativeQuery(
                                        "SELECT token FROM provisioner.pending_create WHERE environment = :environment AND"
                                                + " logical_id = :id",
                                        String.class)
                                .setParameter("environment", environment)
                                .setParameter("id", id)
                                .getResultList()))
                .stream()
                .findFirst();
    }

    @Override
    public void begin(String environment, String id, String kind, String token) {
        Instant now = now();
        await(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(
                                "INSERT INTO provisioner.pending_create (environment, logical_id, kind, token, started_at)"
                                        + " VALUES (:environment, :id, :kind, :token, :now)"
                                        + " ON CONFLICT (environment, logical_id) DO UPDATE SET token = :token")
                        .setParameter("environment", environment)
                        .setParameter("id", id)
                        .setParameter("kind", kind)
                        .setParameter("token", token)
                        .setParameter("now", now)
                        .executeUpdate()));
    }

    @Override
    public void done(String environment, String id) {
        await(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(
                                "DELETE FROM provisioner.pending_create WHERE environment = :environment AND logical_id = :id")
                        .setParameter("environment", environment)
                        .setParameter("id", id)
                        .executeUpdate()));
    }

    /** The creates of an environment still marked pending: each one a create a stopped run had begun. */
    public List<String> pending(String environment) {
        return await(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(
                                "SELECT logical_id FROM provisioner.pending_create WHERE environment = :environment"
                                        + " ORDER BY logical_id",
                                String.class)
                        .setParameter("environment", environment)
                        .getResultList()));
    }

    // ---------------------------------------------------------------- applied specs

    public void applied(String environment, String fingerprint, String spec, String runId) {
        Instant now = now();
        await(() -> AppliedSpecRecord.<AppliedSpecRecord>findById(environment).chain(found -> {
            AppliedSpecRecord record = found == null ? new AppliedSpecRecord() : found;
            record.environment = environment;
            record.fingerprint = fingerprint;
            record.spec = spec;
            record.appliedAt = now;
            record.runId = runId;
            return found == null ? record.persist() : Uni.createFrom().item(record);
        }));
    }

    public Optional<AppliedSpecRecord> applied(String environment) {
        return Optional.ofNullable(await(() -> AppliedSpecRecord.<AppliedSpecRecord>findById(environment)));
    }

    // ---------------------------------------------------------------- runs

    public void save(RunRecord run) {
        await(() -> RunRecord.<RunRecord>findById(run.id)
                .chain(found ->
                        found == null ? run.persist() : Panache.getSession().chain(session -> session.merge(run))));
    }

    public Optional<RunRecord> run(String id) {
        return Optional.ofNullable(await(() -> RunRecord.<RunRecord>findById(id)));
    }

    /** Runs left RUNNING by a provisioner that stopped are failed, saying so: none stays running forever. */
    public int failAbandonedRuns() {
        Instant now = now();
        return await(() -> RunRecord.update(
                "state = 'FAILED', finishedAt = ?1, error = ?2 where state = 'RUNNING' and renewedAt < ?3",
                now,
                "the provisioner running it stopped before it ended; run it again (what was done stands, and the"
                        + " next apply finishes it)",
                now.minus(STALE_AFTER)));
    }
}
