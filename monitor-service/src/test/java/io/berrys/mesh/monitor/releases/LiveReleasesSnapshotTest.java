package io.berrys.mesh.monitor.releases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.monitor.releases.LiveReleases.Live;
import io.berrys.mesh.monitor.releases.LiveReleases.Stage;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveReleasesSnapshotTest {

    private static final LiveReleasesSnapshot SNAPSHOT = new LiveReleasesSnapshot(
            "1764151260000-3",
            42,
            List.of(
                    new LiveReleasesSnapshot.Release(
                            new Live(
                                    "rel-1",
                                    "production",
                                    "planning-system",
                                    Stage.PROMOTED,
                                    Instant.parse("2026-11-26T10:30:00.123456789Z"),
                                    40),
                            "1764151200000-0",
                            "1764151260000-1"),
                    new LiveReleasesSnapshot.Release(
                            new Live("rel-2", "staging", "web-dashboard", Stage.QUEUED, Instant.EPOCH, 41),
                            null,
                            null)));

    @Test
    void aSnapshotReadsBackAsItWasWritten() {
        LiveReleasesSnapshot read = LiveReleasesSnapshot.decode(SNAPSHOT.through(), SNAPSHOT.encodeState());

        assertThat(read).isEqualTo(SNAPSHOT);
    }

    @Test
    void anythingDamagedIsRefusedWholeWithoutQuotingIt() {
        String state = SNAPSHOT.encodeState();

        assertRefused("1764151260000", state, "'through' is not a stream entry id");
        assertRefused(SNAPSHOT.through(), null, "it has no state");
        assertRefused(SNAPSHOT.through(), state.substring(0, 40), "its state is not JSON");
        assertRefused(SNAPSHOT.through(), "[]", "its state is not a JSON object");
        assertRefused(
                SNAPSHOT.through(), state.replace("\"applied\":42", "\"applied\":-1"), "'applied' is not a count");
        assertRefused(SNAPSHOT.through(), "{\"applied\":1}", "'releases' is not a list");
        assertRefused(SNAPSHOT.through(), state.replace("PROMOTED", "SHIPPED"), "release 0 has an unknown stage");
        assertRefused(SNAPSHOT.through(), state.replace("10:30:00", "25:30:00"), "release 0 has an unknown stage");
        assertRefused(SNAPSHOT.through(), state.replace("\"1764151200000-0\"", "\"latest\""), "bad entry id");
        assertRefused(SNAPSHOT.through(), state.replace(",\"1764151260000-1\"", ""), "not a list of 8 fields");
        assertRefused(SNAPSHOT.through(), state.replace("rel-2", "rel-1"), "repeats an earlier release id");
        assertRefused(SNAPSHOT.through(), state.replace("\"staging\"", "\"\""), "release 1 lacks field 1");
    }

    @Test
    void entryIdsAreCheckedBeforeTheyAreCompared() {
        assertThat(LiveReleases.isEntryId("1764151260000-3")).isTrue();
        assertThat(LiveReleases.isEntryId("0-1")).isTrue();
        assertThat(LiveReleases.isEntryId(null)).isFalse();
        assertThat(LiveReleases.isEntryId("1764151260000")).isFalse();
        assertThat(LiveReleases.isEntryId("-3")).isFalse();
        assertThat(LiveReleases.isEntryId("1764151260000-")).isFalse();
        assertThat(LiveReleases.isEntryId("17641512600x0-3")).isFalse();
        assertThat(LiveReleases.isEntryId("1234567890123456789-0")).isFalse();
    }

    private static void assertRefused(String through, String state, String reason) {
        assertThatThrownBy(() -> LiveReleasesSnapshot.decode(through, state))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason)
                .hasMessageNotContaining("planning-system");
    }
}
