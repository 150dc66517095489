package io.berrys.mesh.provisioner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ProvisionTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** mesh.provision.triggered in, started / progressed / finished out, over real Redis streams, on moto. */
@QuarkusTest
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.provision."))
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(MotoEnvironmentResource.class)
class ProvisionEventsIT {

    static final String PROVISIONS = "it.provision.mesh.provision";
    static final String TRANSITIONS = "it.provision.mesh.transitions";

    @Inject
    RedisDataSource redis;

    CloudEvent send(ProvisionTriggered payload) {
        CloudEvent command = Events.of(Task.PROVISION.type(Phase.TRIGGERED), Services.COORDINATOR, payload)
                .releaseId("rel-provision-it")
                .build();
        redis.stream(String.class).xadd(PROVISIONS, EventCodec.toFields(command));
        return command;
    }

    List<CloudEvent> replies(CloudEvent command) {
        return redis.stream(String.class).xrange(TRANSITIONS, StreamRange.of("-", "+")).stream()
                .map(StreamMessage::payload)
                .map(fields -> EventCodec.fromFields(fields, EventSchema.MAX_ENTRY_BYTES))
                .filter(event -> command.getId().equals(Events.triggeredId(event)))
                .toList();
    }

    TaskFinished finished(CloudEvent command) {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> replies(command).stream().anyMatch(e -> e.getType().endsWith(".finished")));
        return replies(command).stream()
                .filter(e -> e.getType().endsWith(".finished"))
                .map(e -> Events.payload(e, TaskFinished.class))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aPlanCommandIsStartedProgressedAndFinishedWithItsSummaryAndDiff() {
        CloudEvent command = send(new ProvisionTriggered(MotoEnvironmentResource.ENVIRONMENT, "plan", "aws"));

        TaskFinished finished = finished(command);

        assertThat(finished.result()).as(finished.message()).isEqualTo(Result.PASS);
        assertThat(finished.message()).matches("plan " + MotoEnvironmentResource.ENVIRONMENT + ": \\+\\d+ ~\\d+ -\\d+");
        assertThat(finished.details()).containsKeys("runId", "summary", "pending", "diff");
        List<String> types = replies(command).stream().map(CloudEvent::getType).toList();
        assertThat(types.get(0)).isEqualTo("mesh.provision.started");
        assertThat(types).contains("mesh.provision.progressed").last().isEqualTo("mesh.provision.finished");
    }

    @Test
    void aCommandForAnEnvironmentWithoutASpecFailsSayingSo() {
        TaskFinished finished = finished(send(new ProvisionTriggered("nowhere", "apply", null)));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("no spec for environment nowhere");
    }

    @Test
    void aCommandNamingAnotherProviderThanTheSpecFails() {
        TaskFinished finished =
                finished(send(new ProvisionTriggered(MotoEnvironmentResource.ENVIRONMENT, "plan", "local")));

        assertThat(finished.result()).isEqualTo(Result.FAIL);
        assertThat(finished.message()).contains("asks for provider 'local'");
    }
}
