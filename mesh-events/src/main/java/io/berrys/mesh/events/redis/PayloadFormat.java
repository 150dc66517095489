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

        @Override
        Map<String, String> encode(Object payload) {
            if (payload instanceof CloudEvent event) {
                return EventCodec.toFields(event);
            }
            throw new MalformedEventException("payload-format cloudevent needs a CloudEvent payload, got "
                    + (payload == null ? "null" : payload.getClass().getName()));
        }
    },
    /** Plain entries: payloads are {@code Map<String, String>} of the entry's fields, no schema applied. */
    FIELDS {
        @Override
        Object decode(Map<String, String> fields, int maxEntryBytes) {
            if (!EventSchema.fitsIn(fields, maxEntryBytes)) {
                throw new MalformedEventException("entry is " + EventSchema.entrySize(fields)
                        + " bytes, over the limit of " + maxEntryBytes + " bytes");
            }
            return fields;
        }

        @Override
        Map<String, String> encode(Object payload) {
            if (payload instanceof Map<?, ?> map) {
                Map<String, String> fields = new HashMap<>(map.size() * 2);
                map.forEach((key, value) -> fields.put(String.valueOf(key), String.valueOf(value)));
                return fields;
            }
            if (payload instanceof CloudEvent event) {
                return EventCodec.toFields(event);
            }
            throw new MalformedEventException("payload-format fields needs a Map payload, got "
                    + (payload == null ? "null" : payload.getClass().getName()));
        }
    };

    abstract Object decode(Map<String, String> fields, int maxEntryBytes);

    abstract Map<String, String> encode(Object payload);

    static PayloadFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("payload-format must be cloudevent or fields, got '" + value + "'");
        }
    }
}
