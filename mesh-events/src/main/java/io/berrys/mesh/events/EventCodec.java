package io.berrys.mesh.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.berrys.mesh.events.catalog.EventCatalog;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.PojoCloudEventData;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a CloudEvent to the fields of one Redis stream entry and back. Decoding validates the envelope against
 * {@link EventSchema} and parses {@code data} into its catalog record, so a handler only ever sees valid events.
 */
public final class EventCodec {

    /** Lenient on unknown properties so an older consumer reads a newer producer's payloads. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .findAndRegisterModules()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);

    /** Sources are a handful of {@code /mesh/<service>} values; parsing each entry's again is wasted work. */
    private static final Map<String, URI> SOURCES = new ConcurrentHashMap<>();

    private static final int MAX_CACHED_SOURCES = 1_024;

    private EventCodec() {}

    public static Map<String, String> toFields(CloudEvent event) {
        Map<String, String> fields = new HashMap<>(16);
        fields.put(EntryFields.SPECVERSION, event.getSpecVersion().toString());
        fields.put(EntryFields.ID, event.getId());
        fields.put(EntryFields.SOURCE, event.getSource().toString());
        fields.put(EntryFields.TYPE, event.getType());
        if (event.getSubject() != null) {
            fields.put(EntryFields.SUBJECT, event.getSubject());
        }
        if (event.getTime() != null) {
            // ISO_OFFSET_DATE_TIME always writes the seconds (toString() drops ":00"), as RFC 3339 requires.
            fields.put(EntryFields.TIME, DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(event.getTime()));
        }
        fields.put(
                EntryFields.DATACONTENTTYPE,
                event.getDataContentType() == null ? EventSchema.CONTENT_TYPE : event.getDataContentType());
        CloudEventData data = event.getData();
        fields.put(EntryFields.DATA, data == null ? "{}" : new String(data.toBytes(), StandardCharsets.UTF_8));
        for (String name : event.getExtensionNames()) {
            Object value = event.getExtension(name);
            if (value != null) {
                fields.put(name, value.toString());
            }
        }
        return fields;
    }

    /** Decodes and validates; throws {@link MalformedEventException} with the reason when the entry is unusable. */
    public static CloudEvent fromFields(Map<String, String> fields, int maxEntryBytes) {
        EventSchema.checkEnvelope(fields, maxEntryBytes);
        String type = fields.get(EntryFields.TYPE);
        byte[] dataBytes = fields.get(EntryFields.DATA).getBytes(StandardCharsets.UTF_8);
        Object payload = parsePayload(type, dataBytes);
        CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(fields.get(EntryFields.ID))
                .withType(type)
                .withSource(parseSource(fields.get(EntryFields.SOURCE)))
                .withDataContentType(EventSchema.CONTENT_TYPE)
                .withData(PojoCloudEventData.wrap(payload, ignored -> dataBytes));
        String subject = fields.get(EntryFields.SUBJECT);
        if (subject != null) {
            builder.withSubject(subject);
        }
        String time = fields.get(EntryFields.TIME);
        if (time != null) {
            try {
                builder.withTime(OffsetDateTime.parse(time));
            } catch (DateTimeParseException e) {
                throw new MalformedEventException("time is not an RFC 3339 timestamp: '" + time + "'");
            }
        }
        for (Map.Entry<String, String> field : fields.entrySet()) {
            String name = field.getKey();
            if (!EntryFields.CORE.contains(name) && isExtensionName(name)) {
                if (EntryFields.ATTEMPT.equals(name)) {
                    builder.withExtension(name, Integer.parseInt(field.getValue()));
                } else {
                    builder.withExtension(name, field.getValue());
                }
            }
        }
        return builder.build();
    }

    public static byte[] toJson(Object payload) {
        try {
            return JSON.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("payload " + payload.getClass().getSimpleName() + " is not JSON", e);
        }
    }

    private static Object parsePayload(String type, byte[] data) {
        Class<?> payloadType = EventCatalog.payloadType(type)
                .orElseThrow(() -> new MalformedEventException("unknown event type '" + type + "'"));
        try {
            Object payload = JSON.readValue(data, payloadType);
            if (payload == null) {
                throw new MalformedEventException("data of " + type + " is null");
            }
            return payload;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new MalformedEventException("data of " + type + " is invalid: " + cause.getMessage());
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("data of " + type + " is not valid: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new MalformedEventException("data of " + type + " could not be read: " + e.getMessage());
        }
    }

    private static URI parseSource(String source) {
        URI cached = SOURCES.get(source);
        if (cached != null) {
            return cached;
        }
        try {
            URI uri = URI.create(source);
            if (SOURCES.size() < MAX_CACHED_SOURCES) {
                SOURCES.put(source, uri);
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("source is not a URI reference: '" + source + "'");
        }
    }

    /** CloudEvents extension names are lower-case letters and digits; anything else is not ours to carry. */
    private static boolean isExtensionName(String name) {
        if (name.isEmpty() || name.length() > 20) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }
}
