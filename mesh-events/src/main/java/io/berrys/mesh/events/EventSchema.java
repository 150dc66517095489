package io.berrys.mesh.events;

import io.berrys.mesh.events.catalog.EventCatalog;
import java.util.Map;

/** The schema rules of the mesh in one place: size limit, required envelope fields, known types. */
public final class EventSchema {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    /** Upper bound for one entry (all field names and values, UTF-8). Big artefacts travel by reference. */
    public static final int MAX_ENTRY_BYTES = 256 * 1024;

    private EventSchema() {}

    /** True when the entry is certainly within {@code maxBytes}; computes the exact UTF-8 size only near the limit. */
    public static boolean fitsIn(Map<String, String> fields, int maxBytes) {
        long chars = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            chars += field.getKey().length()
                    + (field.getValue() == null ? 0 : field.getValue().length());
        }
        // A UTF-16 char never takes more than 3 UTF-8 bytes (surrogate pairs: 4 bytes for 2 chars).
        return chars * 3 <= maxBytes || entrySize(fields) <= maxBytes;
    }

    public static int entrySize(Map<String, String> fields) {
        int size = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            size += utf8Length(field.getKey()) + utf8Length(field.getValue());
        }
        return size;
    }

    /** Throws {@link MalformedEventException} naming the first broken rule. */
    public static void checkEnvelope(Map<String, String> fields, int maxEntryBytes) {
        if (!fitsIn(fields, maxEntryBytes)) {
            throw new MalformedEventException(
                    "entry is " + entrySize(fields) + " bytes, over the limit of " + maxEntryBytes + " bytes");
        }
        String specVersion = fields.get(EntryFields.SPECVERSION);
        if (!SPEC_VERSION.equals(specVersion)) {
            throw new MalformedEventException("specversion must be 1.0, got " + quote(specVersion));
        }
        requireField(fields, EntryFields.ID);
        requireField(fields, EntryFields.SOURCE);
        String type = requireField(fields, EntryFields.TYPE);
        requireField(fields, EntryFields.DATA);
        String contentType = fields.get(EntryFields.DATACONTENTTYPE);
        if (contentType != null && !contentType.startsWith(CONTENT_TYPE)) {
            throw new MalformedEventException("datacontenttype must be application/json, got " + quote(contentType));
        }
        EventType parsed = EventType.parse(type);
        if (!EventCatalog.isKnown(type)) {
            throw new MalformedEventException("unknown event type " + quote(type));
        }
        if (parsed.isTaskEvent()) {
            requireField(fields, EntryFields.RELEASE_ID);
            if (parsed.phase() != Phase.TRIGGERED) {
                requireField(fields, EntryFields.TRIGGERED_ID);
            }
        }
        if (EventType.RELEASE_COMMAND.equals(type)) {
            requireField(fields, EntryFields.RELEASE_ID);
        }
        String attempt = fields.get(EntryFields.ATTEMPT);
        if (attempt != null) {
            try {
                if (Integer.parseInt(attempt) < 1) {
                    throw new MalformedEventException("attempt must be 1 or more, got " + attempt);
                }
            } catch (NumberFormatException e) {
                throw new MalformedEventException("attempt must be an integer, got " + quote(attempt));
            }
        }
    }

    private static String requireField(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null || value.isBlank()) {
            throw new MalformedEventException("required field '" + name + "' is missing");
        }
        return value;
    }

    private static String quote(String value) {
        if (value == null) {
            return "nothing";
        }
        return "'" + (value.length() > 80 ? value.substring(0, 80) + "…" : value) + "'";
    }

    private static int utf8Length(String value) {
        if (value == null) {
            return 0;
        }
        int bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
