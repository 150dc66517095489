package io.berrys.mesh.events.redis;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.MalformedEventException;
import io.cloudevents.CloudEvent;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** How message payloads map to entry fields. */
public enum PayloadFormat {
    /** The mesh envelope: payloads are validated {@link CloudEvent}s, one entry field per attribute. */
    CLOUDEVENT {
        @Override
        Object decode(Map<String, String> fields, int maxEntryBytes) {
            return EventCodec.fromFields(fields, maxEntryBytes);
        }

        /** Checked like an incoming entry, so a producer learns at once what every consumer would reject. */
        @Override
        Map<String, String> encode(Object payload, int maxEntryBytes) {
            if (payload instanceof CloudEvent event) {
                Map<String, String> fields = EventCodec.toFields(event);
                EventSchema.checkEnvelope(fields, maxEntryBytes);
                return fields;
            }
            throw new MalformedEventException("payload-format cloudevent needs a CloudEvent payload, got "
                    + (payload == null ? "null" : payload.getClass().getName()));
        }
    },
    /** Plain entries: payloads are {@code Map<String, String>} of the entry's fields, no schema applied. */
    FIELDS {
        @Override
        Object decode(Map<String, String> fields, int maxEntryBytes) {
            checkSize(fields, maxEntryBytes);
            return fields;
        }

        @Override
        Map<String, String> encode(Object payload, int maxEntryBytes) {
            Map<String, String> fields;
            if (payload instanceof Map<?, ?> map) {
                fields = new HashMap<>(map.size() * 2);
                for (Map.Entry<?, ?> field : map.entrySet()) {
                    if (field.getKey() != null && field.getValue() != null) {
                        fields.put(field.getKey().toString(), field.getValue().toString());
                    }
                }
            } else if (payload instanceof CloudEvent event) {
                fields = EventCodec.toFields(event);
            } else {
                throw new MalformedEventException("payload-format fields needs a Map payload, got "
                        + (payload == null ? "null" : payload.getClass().getName()));
            }
            if (fields.isEmpty()) {
                throw new MalformedEventException("an entry needs at least one field");
            }
            checkSize(fields, maxEntryBytes);
            return fields;
        }
    };

    private static void checkSize(Map<String, String> fields, int maxEntryBytes) {
        if (!EventSchema.fitsIn(fields, maxEntryBytes)) {
            throw new MalformedEventException("entry is " + EventSchema.entrySize(fields) + " bytes, over the limit of "
                    + maxEntryBytes + " bytes");
        }
    }

    abstract Object decode(Map<String, String> fields, int maxEntryBytes);

    /** Throws {@link MalformedEventException} when the payload would make an entry consumers reject. */
    abstract Map<String, String> encode(Object payload, int maxEntryBytes);

    static PayloadFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("payload-format must be cloudevent or fields, got '" + value + "'");
        }
    }
}
