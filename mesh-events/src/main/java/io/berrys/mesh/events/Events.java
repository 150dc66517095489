package io.berrys.mesh.events;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.PojoCloudEventData;
import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.UUID;

/** Builds mesh events from typed payloads and reads the mesh extensions back. */
public final class Events {

    private Events() {}

    /** A new event of {@code type} from {@code service}; see {@link #replyTo} for lifecycle replies. */
    public static Builder of(String type, String service, Object payload) {
        return new Builder(type, Services.source(service), payload);
    }

    /**
     * A started / progressed / finished reply to a {@code .triggered} command: same task, release and subject,
     * {@code triggeredid} and {@code causationid} pointing at the command.
     */
    public static Builder replyTo(CloudEvent triggered, Phase phase, String service, Object payload) {
        EventType type = EventType.parse(triggered.getType());
        if (!type.isTaskEvent() || type.phase() != Phase.TRIGGERED) {
            throw new IllegalArgumentException("can only reply to a .triggered command, got " + triggered.getType());
        }
        Builder builder = new Builder(type.task().type(phase), Services.source(service), payload)
                .releaseId(releaseId(triggered))
                .triggeredId(triggered.getId())
                .causationId(triggered.getId())
                .subject(triggered.getSubject());
        Integer attempt = attempt(triggered);
        return attempt == null ? builder : builder.attempt(attempt);
    }

    public static String releaseId(CloudEvent event) {
        return stringExtension(event, EntryFields.RELEASE_ID);
    }

    public static String triggeredId(CloudEvent event) {
        return stringExtension(event, EntryFields.TRIGGERED_ID);
    }

    public static String causationId(CloudEvent event) {
        return stringExtension(event, EntryFields.CAUSATION_ID);
    }

    public static Integer attempt(CloudEvent event) {
        Object value = event.getExtension(EntryFields.ATTEMPT);
        if (value == null) {
            return null;
        }
        return value instanceof Number number ? number.intValue() : Integer.valueOf(value.toString());
    }

    /**
     * The payload of a task's command, after checking that the event is that command: anything else on a task's
     * command stream is malformed (dead-lettered, and answered with a failed finished).
     */
    public static <T> T command(CloudEvent command, Task task, Class<T> type) {
        if (!command.getType().equals(task.type(Phase.TRIGGERED))) {
            throw new MalformedEventException(
                    task.commandStream() + " carries only " + task.id() + " commands, got " + command.getType());
        }
        return payload(command, type);
    }

    /** The typed payload; events decoded by the connector carry it already parsed. */
    public static <T> T payload(CloudEvent event, Class<T> type) {
        if (event.getData() instanceof PojoCloudEventData<?> pojo && type.isInstance(pojo.getValue())) {
            return type.cast(pojo.getValue());
        }
        if (event.getData() == null) {
            throw new MalformedEventException("event " + event.getId() + " has no data");
        }
        try {
            return EventCodec.JSON.readValue(event.getData().toBytes(), type);
        } catch (java.io.IOException e) {
            throw new MalformedEventException(
                    "data of " + event.getType() + " is not a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static String stringExtension(CloudEvent event, String name) {
        Object value = event.getExtension(name);
        return value == null ? null : value.toString();
    }

    public static final class Builder {
        private final CloudEventBuilder delegate;

        private Builder(String type, String source, Object payload) {
            Objects.requireNonNull(payload, "payload");
            byte[] json = EventCodec.toJson(payload);
            this.delegate = CloudEventBuilder.v1()
                    .withId(UUID.randomUUID().toString())
                    .withType(type)
                    .withSource(URI.create(source))
                    .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                    .withDataContentType(EventSchema.CONTENT_TYPE)
                    .withData(PojoCloudEventData.wrap(payload, ignored -> json));
        }

        public Builder id(String id) {
            delegate.withId(id);
            return this;
        }

        public Builder subject(String subject) {
            if (subject != null) {
                delegate.withSubject(subject);
            }
            return this;
        }

        public Builder time(OffsetDateTime time) {
            delegate.withTime(time);
            return this;
        }

        public Builder releaseId(String releaseId) {
            return extension(EntryFields.RELEASE_ID, releaseId);
        }

        public Builder triggeredId(String triggeredId) {
            return extension(EntryFields.TRIGGERED_ID, triggeredId);
        }

        public Builder causationId(String causationId) {
            return extension(EntryFields.CAUSATION_ID, causationId);
        }

        public Builder attempt(int attempt) {
            delegate.withExtension(EntryFields.ATTEMPT, attempt);
            return this;
        }

        private Builder extension(String name, String value) {
            if (value != null) {
                delegate.withExtension(name, value);
            }
            return this;
        }

        public CloudEvent build() {
            return delegate.build();
        }
    }
}
