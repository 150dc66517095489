package io.berrys.mesh.events;

import static io.berrys.mesh.events.FieldEdits.with;
import static io.berrys.mesh.events.FieldEdits.without;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.RolloutTriggered;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private static final int LIMIT = EventSchema.MAX_ENTRY_BYTES;

    private static CloudEvent rolloutTriggered() {
        return Events.of(
                        Task.ROLLOUT.type(Phase.TRIGGERED),
                        Services.COORDINATOR,
                        new RolloutTriggered(
                                "production",
                                "planning-system",
                                "1.4.0",
                                "registry/planning:1.4.0",
                                List.of(10, 50, 100)))
                .releaseId("rel-1")
                .subject("production/planning-system")
                .attempt(2)
                .build();
    }

    @Test
    void roundTripKeepsAttributesExtensionsAndPayload() {
        CloudEvent original = rolloutTriggered();
        Map<String, String> fields = EventCodec.toFields(original);
        assertEquals("1.0", fields.get("specversion"));
        assertEquals("/mesh/coordinator", fields.get("source"));
        assertEquals("rel-1", fields.get("releaseid"));
        assertEquals("2", fields.get("attempt"));

        CloudEvent decoded = EventCodec.fromFields(fields, LIMIT);
        assertEquals(original.getId(), decoded.getId());
        assertEquals(original.getType(), decoded.getType());
        assertEquals(original.getSubject(), decoded.getSubject());
        assertEquals(original.getTime(), decoded.getTime());
        assertEquals("rel-1", Events.releaseId(decoded));
        assertEquals(2, Events.attempt(decoded));
        RolloutTriggered payload = Events.payload(decoded, RolloutTriggered.class);
        assertEquals(List.of(10, 50, 100), payload.trafficSteps());
        assertEquals("registry/planning:1.4.0", payload.image());
    }

    @Test
    void replyCarriesReleaseAndPointsAtTheCommand() {
        CloudEvent triggered = rolloutTriggered();
        CloudEvent finished = Events.replyTo(
                        triggered,
                        Phase.FINISHED,
                        Services.ROLLOUT,
                        new TaskFinished("rollout", Result.PASS, "promoted", null))
                .build();
        assertEquals("mesh.rollout.finished", finished.getType());
        assertEquals("rel-1", Events.releaseId(finished));
        assertEquals(triggered.getId(), Events.triggeredId(finished));
        assertEquals(triggered.getId(), Events.causationId(finished));
        CloudEvent decoded = EventCodec.fromFields(EventCodec.toFields(finished), LIMIT);
        assertEquals(Result.PASS, Events.payload(decoded, TaskFinished.class).result());
    }

    @Test
    void malformedEntriesAreRejectedWithAReason() {
        Map<String, String> valid = EventCodec.toFields(rolloutTriggered());
        assertReason(without(valid, "id"), "required field 'id' is missing");
        assertReason(without(valid, "releaseid"), "required field 'releaseid' is missing");
        assertReason(with(valid, "specversion", "0.3"), "specversion must be 1.0");
        assertReason(with(valid, "type", "mesh.unknown.thing"), "unknown event type 'mesh.unknown.thing'");
        assertReason(with(valid, "data", "{not json"), "data of mesh.rollout.triggered is not valid");
        assertReason(with(valid, "data", "{\"environment\":\"production\"}"), "'service' is required");
        assertReason(with(valid, "attempt", "many"), "attempt must be an integer");
        assertReason(with(valid, "time", "yesterday"), "time is not an RFC 3339 timestamp");
        assertReason(with(valid, "datacontenttype", "text/plain"), "datacontenttype must be application/json");
        assertReason(with(valid, "pad", "x".repeat(LIMIT)), "over the limit of " + LIMIT + " bytes");
    }

    @Test
    void commandsRouteToTheirOwnerAndRollbacksJumpTheQueue() {
        assertEquals("mesh.backup", Streams.forType("mesh.backup.triggered"));
        assertEquals("mesh.restore-drill", Streams.forType("mesh.restore-drill.triggered"));
        assertEquals(Streams.PRIORITY, Streams.forType("mesh.rollback.triggered"));
        assertEquals(Streams.TRANSITIONS, Streams.forType("mesh.backup.finished"));
        assertEquals(Streams.TRANSITIONS, Streams.forType(EventType.RELEASE_PUBLISHED));
        assertEquals("mesh.priority.dlq", Streams.deadLetter(Streams.PRIORITY));
    }

    @Test
    void everyTaskHasTheFullLifecycleInTheCatalog() {
        for (Task task : Task.values()) {
            for (Phase phase : Phase.values()) {
                EventType type = EventType.parse(task.type(phase));
                assertEquals(task, type.task());
                assertEquals(phase, type.phase());
                assertTrue(io.berrys.mesh.events.catalog.EventCatalog.isKnown(type.value()), type.value());
            }
        }
    }

    private static void assertReason(Map<String, String> fields, String expected) {
        MalformedEventException error =
                assertThrows(MalformedEventException.class, () -> EventCodec.fromFields(fields, LIMIT));
        assertTrue(error.getMessage().contains(expected), "expected '" + expected + "' in: " + error.getMessage());
    }
}
