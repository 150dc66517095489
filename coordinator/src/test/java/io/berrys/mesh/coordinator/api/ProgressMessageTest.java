package io.berrys.mesh.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ProgressMessageTest {

    private static String fields(String data) {
        return "{\"type\":\"mesh.rollout.progressed\",\"data\":" + quoted(data) + "}";
    }

    private static String quoted(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Test
    void aStepIsShownWithItsMessage() {
        assertEquals(
                "traffic-25: 25 % of traffic on planner-green",
                ReleaseResource.said(
                        fields(
                                "{\"task\":\"rollout\",\"step\":\"traffic-25\",\"message\":\"25 % of traffic on planner-green\"}")));
    }

    @Test
    void aFinishedEventShowsItsMessageAndAHeartbeatOnlyWhatItSays() {
        assertEquals(
                "backed up main",
                ReleaseResource.said(
                        fields("{\"task\":\"backup\",\"result\":\"pass\",\"message\":\"backed up main\"}")));
        assertEquals(
                "waiting for green",
                ReleaseResource.said(fields("{\"step\":\"heartbeat\",\"message\":\"waiting for green\"}")));
    }

    @Test
    void nothingToSayIsNull() {
        assertNull(ReleaseResource.said(fields("{\"task\":\"rollout\",\"agent\":\"rollout-service\"}")));
        assertNull(ReleaseResource.said("not json"));
    }
}
