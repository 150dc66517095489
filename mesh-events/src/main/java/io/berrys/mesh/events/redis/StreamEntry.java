package io.berrys.mesh.events.redis;

import java.util.Map;

/** One entry read from a stream. {@code fields} is null when the entry was trimmed while still pending. */
record StreamEntry(String id, Map<String, String> fields) {

    static long timestampOf(String entryId) {
        int dash = entryId.indexOf('-');
        return Long.parseLong(dash < 0 ? entryId : entryId.substring(0, dash));
    }
}
