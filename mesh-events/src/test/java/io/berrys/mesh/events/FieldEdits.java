package io.berrys.mesh.events;

import java.util.HashMap;
import java.util.Map;

/** Copies of entry fields with one field changed or missing, for building malformed entries in tests. */
public final class FieldEdits {

    private FieldEdits() {}

    public static Map<String, String> without(Map<String, String> fields, String name) {
        Map<String, String> copy = new HashMap<>(fields);
        copy.remove(name);
        return copy;
    }

    public static Map<String, String> with(Map<String, String> fields, String name, String value) {
        Map<String, String> copy = new HashMap<>(fields);
        copy.put(name, value);
        return copy;
    }
}
