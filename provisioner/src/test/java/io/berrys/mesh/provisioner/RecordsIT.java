package io.berrys.mesh.provisioner;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.berrys.mesh.provisioner.records.Records;
import io.berrys.mesh.provisioner.records.RunRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The records in PostgreSQL: leases, create-pending markers, and runs a stopped provisioner left behind. */
@QuarkusTest
@QuarkusTestResource(RedisServerResource.class)
@QuarkusTestResource(PostgresServerResource.class)
class RecordsIT {

    @Inject
    Records records;

    static String fresh(String what) {
        return what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static void sql(String statement) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(statement).executeUpdate())));
    }

    @Test
    void oneRunHoldsALeaseAndOneWhoseHolderStoppedRenewingIsTakenOver() throws Throwable {
        String environment = fresh("env");

        assertThat(records.takeLease(environment, "run-a", "apply")).isEmpty();
        assertThat(records.takeLease(environment, "run-b", "destroy")).hasValueSatisfying(holder -> {
            assertThat(holder.runId).isEqualTo("run-a");
            assertThat(holder.action).isEqualTo("apply");
        });
        sql("UPDATE provisioner.lease SET renewed_at = now() - interval '2 minutes' WHERE environment = '" + environment
                + "'");
        assertThat(records.takeLease(environment, "run-b", "destroy")).isEmpty();
        records.releaseLease(environment, "run-a");
        assertThat(records.takeLease(environment, "run-c", "apply"))
                .as("run-a's release does not free run-b's lease")
                .hasValueSatisfying(holder -> assertThat(holder.runId).isEqualTo("run-b"));
        records.releaseLease(environment, "run-b");
        assertThat(records.takeLease(environment, "run-c", "apply")).isEmpty();
    }

    @Test
    void aRunWhoseLeaseWasTakenOverLearnsItAtItsNextRenewal() throws Throwable {
        String environment = fresh("env");
        String first = fresh("run");
        String second = fresh("run");
        records.takeLease(environment, first, "apply");

        assertThat(records.renew(List.of(first), Map.of(first, environment))).isEmpty();

        // The first run's provisioner paused past the lease's life; another took the environment over.
        sql("UPDATE provisioner.lease SET renewed_at = now() - interval '2 minutes' WHERE environment = '" + environment
                + "'");
        assertThat(records.takeLease(environment, second, "destroy")).isEmpty();

        assertThat(records.renew(List.of(first, second), Map.of(first, environment, second, environment)))
                .containsExactly(first);

        // A run that released its lease as it ended has not lost it.
        records.releaseLease(environment, second);
        assertThat(records.renew(List.of(second), Map.of(second, environment))).isEmpty();
    }

    @Test
    void createPendingMarkersOutliveTheProcessThatWroteThem() {
        String environment = fresh("env");

        records.begin(environment, "vpc/main", "vpc", "token-1");
        records.begin(environment, "vpc/main", "vpc", "token-2");

        assertThat(records.token(environment, "vpc/main")).contains("token-2");
        assertThat(records.pending(environment)).containsExactly("vpc/main");
        records.done(environment, "vpc/main");
        assertThat(records.token(environment, "vpc/main")).isEmpty();
    }

    @Test
    void aRunLeftRunningByAStoppedProvisionerIsFailedAndStillServed() {
        String environment = fresh("env");
        RunRecord run = new RunRecord();
        run.id = fresh("run");
        run.environment = environment;
        run.action = "apply";
        run.state = "RUNNING";
        run.startedAt = Instant.now().minus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MICROS);
        run.renewedAt = run.startedAt;
        run.summary = "+3 ~0 -0";
        run.diff = "+ vpc/main";
        run.lines = "apply " + environment + ": 3 resources in the spec\n+ creating vpc/main";
        records.save(run);

        assertThat(records.failAbandonedRuns()).isGreaterThanOrEqualTo(1);

        given().get("/environments/" + environment + "/runs/" + run.id)
                .then()
                .statusCode(200)
                .body("state", equalTo("FAILED"))
                .body("error", containsString("the provisioner running it stopped"))
                .body("lines[1]", equalTo("+ creating vpc/main"))
                .body("diff[0]", equalTo("+ vpc/main"));
    }
}
