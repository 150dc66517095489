package io.berrys.mesh.monitor.releases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.catalog.TaskStarted;
import io.berrys.mesh.monitor.releases.LiveReleases.Stage;
import io.cloudevents.CloudEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveReleasesTest {

    private static final String SUBJECT = "production/planning-system";

    private final LiveReleases releases = new LiveReleases(ProjectionConfig.withRollbackWindow(Duration.ofMinutes(30)));
    private long entry;

    @Test
    void rolloutProgressOfAReleaseAlreadyRollingOutCannotChangeTheProjection() {
        apply(published("rel-1"));
        assertThat(releases.mayChange(Task.ROLLOUT.type(Phase.PROGRESSED), "rel-1"))
                .as("the first sign of a rollout moves a queued release to rolling out")
                .isTrue();
        apply(task("rel-1", Task.ROLLOUT, Phase.STARTED, new TaskStarted("rollout", "rollout-service", "green")));

        assertThat(releases.mayChange(Task.ROLLOUT.type(Phase.PROGRESSED), "rel-1"))
                .isFalse();
        assertThat(releases.mayChange(Task.VERIFICATION.type(Phase.PROGRESSED), "rel-1"))
                .isFalse();
        assertThat(releases.mayChange(Task.BACKUP.type(Phase.FINISHED), "rel-1"))
                .isFalse();
        assertThat(releases.mayChange(Task.ROLLOUT.type(Phase.FINISHED), "rel-1"))
                .isTrue();
        assertThat(releases.mayChange(Task.ROLLBACK.type(Phase.FINISHED), "rel-1"))
                .isTrue();
        assertThat(releases.mayChange(EventType.RELEASE_COMMAND, "rel-1")).isTrue();
        assertThat(releases.mayChange("mesh.alert.fired", "rel-1")).isFalse();
        assertThat(releases.mayChange(Task.ROLLOUT.type(Phase.PROGRESSED), null))
                .isFalse();
        assertThat(releases.mayChange(Task.BACKUP.type(Phase.PROGRESSED), "rel-unknown"))
                .as("any reply names the release's service in its subject, so an unknown release is learnt from it")
                .isTrue();
    }

    @Test
    void theProjectionFollowsEveryStageChangeThroughTheNoise() {
        apply(published("rel-1"));
        apply(task("rel-1", Task.BACKUP, Phase.FINISHED, finished("backup", Result.PASS)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.QUEUED);

        apply(task("rel-1", Task.ROLLOUT, Phase.PROGRESSED, progressed("rollout", 10)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.ROLLING_OUT);
        apply(task("rel-1", Task.ROLLOUT, Phase.PROGRESSED, progressed("rollout", 50)));
        assertThat(releases.rollbackable("production", "planning-system", Instant.now()))
                .map(LiveReleases.Live::releaseId)
                .contains("rel-1");

        apply(task("rel-1", Task.ROLLOUT, Phase.FINISHED, finished("rollout", Result.PASS)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.PROMOTED);
        apply(task("rel-1", Task.VERIFICATION, Phase.PROGRESSED, progressed("verification", 50)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.PROMOTED);

        apply(task("rel-1", Task.ROLLBACK, Phase.FINISHED, finished("rollback", Result.PASS)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.ENDED);
        assertThat(releases.rollbackable("production", "planning-system", Instant.now()))
                .isEmpty();
    }

    @Test
    void aFailedRolloutAndAnAbortEndTheirReleases() {
        apply(published("rel-1"));
        apply(task("rel-1", Task.ROLLOUT, Phase.STARTED, new TaskStarted("rollout", "rollout-service", "green")));
        apply(task("rel-1", Task.ROLLOUT, Phase.FINISHED, finished("rollout", Result.FAIL)));
        assertThat(stageOf("rel-1")).isEqualTo(Stage.ENDED);

        apply(published("rel-2"));
        apply(Events.of(
                        EventType.RELEASE_COMMAND,
                        "coordinator",
                        new ReleaseCommand(ReleaseCommand.Command.ABORT, "operator", "wrong image"))
                .releaseId("rel-2")
                .subject(SUBJECT)
                .build());
        assertThat(stageOf("rel-2")).isEqualTo(Stage.ENDED);
    }

    @Test
    void theConfiguredRollbackWindowRunsFromWhenTheRolloutFinishedSoAReplayKeepsIt() {
        Instant now = Instant.now();
        Instant early = now.minus(Duration.ofMinutes(40));
        Instant recent = now.minus(Duration.ofMinutes(10));
        apply(published("rel-early"));
        apply(finishedAt("rel-early", early));
        apply(published("rel-recent"));
        apply(finishedAt("rel-recent", recent));

        assertThat(releases.all())
                .extracting(LiveReleases.Live::releaseId, LiveReleases.Live::windowUntil)
                .containsExactlyInAnyOrder(
                        tuple("rel-early", early.plus(Duration.ofMinutes(30))),
                        tuple("rel-recent", recent.plus(Duration.ofMinutes(30))));
        assertThat(releases.rollbackable("production", "planning-system", now))
                .map(LiveReleases.Live::releaseId)
                .contains("rel-recent");
    }

    private CloudEvent finishedAt(String releaseId, Instant at) {
        return Events.of(Task.ROLLOUT.type(Phase.FINISHED), "rollout-service", finished("rollout", Result.PASS))
                .releaseId(releaseId)
                .subject(SUBJECT)
                .time(OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
                .build();
    }

    private Stage stageOf(String releaseId) {
        return releases.all().stream()
                .filter(live -> live.releaseId().equals(releaseId))
                .findFirst()
                .orElseThrow()
                .stage();
    }

    private void apply(CloudEvent event) {
        releases.apply(event, (1_000 + ++entry) + "-0");
    }

    private static CloudEvent published(String releaseId) {
        return Events.of(
                        EventType.RELEASE_PUBLISHED,
                        "coordinator",
                        new ReleasePublished(
                                "production",
                                "planning-system",
                                "2.5.0",
                                "registry.local/berrys/planning-system:2.5.0",
                                List.of(),
                                null,
                                false,
                                "ci"))
                .releaseId(releaseId)
                .subject(SUBJECT)
                .build();
    }

    private static CloudEvent task(String releaseId, Task task, Phase phase, Object payload) {
        return Events.of(task.type(phase), "rollout-service", payload)
                .releaseId(releaseId)
                .subject(SUBJECT)
                .build();
    }

    private static TaskProgressed progressed(String task, int percent) {
        return new TaskProgressed(task, "traffic", percent, percent + " % on green");
    }

    private static TaskFinished finished(String task, Result result) {
        return new TaskFinished(task, result, task + " " + result, Map.of());
    }
}
