package io.berrys.mesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.catalog.VerificationTriggered;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With real Prometheus and Alertmanager: verification gates measured from Prometheus, an alert rule firing all the
 * way to a rollback on {@code mesh.priority}, and the mesh's own stream metrics scraped and queried back.
 */
@QuarkusTest
@QuarkusTestResource(MonitoringServers.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.monitor."))
class MonitoringIT {

    @Inject
    RedisDataSource redis;

    private Bus bus;

    @BeforeEach
    void connect() {
        bus = new Bus(redis);
    }

    private CloudEvent verify(String environment, String service, List<String> checks) {
        CloudEvent command = Events.of(
                        Task.VERIFICATION.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new VerificationTriggered(environment, service, checks, 1, null))
                .releaseId("rel-verify-" + service)
                .subject(environment + "/" + service)
                .build();
        bus.write(Bus.VERIFICATIONS, command);
        return command;
    }

    private TaskFinished finished(CloudEvent command) {
        await().atMost(Duration.ofSeconds(30)).until(() -> finishedNow(command) != null);
        return finishedNow(command);
    }

    private TaskFinished finishedNow(CloudEvent command) {
        return bus.events(Bus.TRANSITIONS, Task.VERIFICATION.type(Phase.FINISHED)).stream()
                .filter(event -> command.getId().equals(Events.triggeredId(event)))
                .map(event -> Events.payload(event, TaskFinished.class))
                .findFirst()
                .orElse(null);
    }

    /** Until Prometheus has a few scrapes of the service, a rate has no data. */
    private void awaitSeries(String service) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !query("rate(http_requests_total{service=\"" + service + "\"}[5s])")
                        .contains("\"result\":[]"));
    }

    @Test
    void aHealthyServicePassesItsVerificationWithAMeasurementPerInterval() {
        PlatformApp.ERROR_SHARE.put("staging/healthy", 0.0);
        awaitSeries("healthy");

        CloudEvent command = verify("staging", "healthy", List.of("error-rate"));
        TaskFinished finished = finished(command);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).contains("error-rate passed (5 measurements: 5 ok");
        List<String> measured = bus.events(Bus.TRANSITIONS, Task.VERIFICATION.type(Phase.PROGRESSED)).stream()
                .filter(event -> command.getId().equals(Events.triggeredId(event)))
                .map(event -> Events.payload(event, TaskProgressed.class).message())
                .toList();
        assertThat(measured).hasSize(5).allMatch(message -> message.startsWith("error-rate success: 0 < 0.05"));
    }

    @Test
    void aFailingServiceFailsAtTheFirstBadMeasurement() {
        PlatformApp.ERROR_SHARE.put("staging/failing", 0.3);
        awaitSeries("failing");

        TaskFinished finished = finished(verify("staging", "failing", List.of("error-rate")));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("error-rate failed (1 measurements: 0 ok, 1 failed", "is not < 0.05");
    }

    @Test
    void aServiceWithoutDataIsInconclusiveAndUnknownChecksFail() {
        TaskFinished silent = finished(verify("staging", "silent", List.of("error-rate")));
        assertThat(silent.result()).isEqualTo(Result.WARNING);
        assertThat(silent.message()).contains("error-rate inconclusive", "without data");

        TaskFinished unknown = finished(verify("staging", "silent", List.of("error-rate", "vibes")));
        assertThat(unknown.result()).isEqualTo(Result.FAIL);
        assertThat(unknown.message()).contains("unknown check(s) [vibes]; configured:", "error-rate");
    }

    @Test
    void theEnvironmentsChecksApplyWhenTheCommandNamesNone() {
        PlatformApp.ERROR_SHARE.put("staging/defaults", 0.0);
        awaitSeries("defaults");

        TaskFinished finished = finished(verify("staging", "defaults", List.of()));

        // staging runs error-rate and up; the stand-in app has no `up` series with these labels.
        assertThat(finished.message()).contains("error-rate passed", "up inconclusive");
        assertThat(finished.result()).isEqualTo(Result.WARNING);
    }

    @Test
    void anAlertRuleFiringInPrometheusRollsTheReleaseBackThroughAlertmanager() {
        String releaseId = bus.rollingOut("production", "planning-system");
        PlatformApp.ERROR_SHARE.put("production/planning-system", 0.0);
        awaitSeries("planning-system");

        // The release goes bad: half its requests fail.
        PlatformApp.ERROR_SHARE.put("production/planning-system", 0.5);

        await().atMost(Duration.ofSeconds(60))
                .until(() -> !bus.rollbacksOf(releaseId).isEmpty());
        RollbackTriggered rollback = Events.payload(bus.rollbacksOf(releaseId).get(0), RollbackTriggered.class);
        assertThat(rollback.service()).isEqualTo("planning-system");
        assertThat(rollback.environment()).isEqualTo("production");
        assertThat(rollback.reason()).startsWith("alert HighErrorRate firing: planning-system in production answers");
        PlatformApp.ERROR_SHARE.put("production/planning-system", 0.0);
    }

    @Test
    void theMeshsOwnStreamMetricsAreScrapedByPrometheus() throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> query("mesh_stream_length{stream=\"" + Bus.TRANSITIONS + "\"}")
                        .contains("\"stream\":\"" + Bus.TRANSITIONS + "\""));
        String lag = query("mesh_stream_lag{stream=\"" + Bus.VERIFICATIONS + "\",group=\"monitor-service\"}");
        assertThat(lag).contains("\"group\":\"monitor-service\"");
        assertThat(query("mesh_stream_pending{stream=\"" + Bus.TRANSITIONS + "\"}"))
                .containsPattern("\"group\":\"monitor-service-[^\"]+\"");
        assertThat(query("mesh_stream_dead_letters")).contains("\"stream\":\"" + Bus.VERIFICATIONS + "\"");
        assertThat(query("mesh_stream_oldest_pending_age_seconds"))
                .contains("\"stream\":\"" + Bus.VERIFICATIONS + "\"");
        // Processing rate: the consumer's counter, as a rate over the scrapes so far.
        bus.rollingOut("staging", "rated");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> query("rate(mesh_stream_processed_total{stream=\"" + Bus.TRANSITIONS + "\"}[30s]) > 0")
                        .contains("\"stream\":\"" + Bus.TRANSITIONS + "\""));
    }

    private static String query(String promql) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + MonitoringServers.prometheusPort
                                        + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return response.body();
    }
}
