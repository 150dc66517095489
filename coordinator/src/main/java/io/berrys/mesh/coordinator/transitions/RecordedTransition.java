package io.berrys.mesh.coordinator.transitions;

import java.time.OffsetDateTime;

/** One event the coordinator consumed from {@code mesh.transitions}, as the API shows it. */
public record RecordedTransition(
        String eventId,
        String type,
        String source,
        String releaseId,
        String subject,
        OffsetDateTime time,
        String entryId,
        int deliveryAttempt,
        Object data) {}
