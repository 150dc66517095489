package io.berrys.mesh.events.catalog;

import java.util.List;
import java.util.Map;

/** Checks used by the payload records' constructors, so a payload that exists is a valid one. */
final class Require {

    private Require() {}

    static String text(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
        return value;
    }

    static <T> T present(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
        return value;
    }

    static <T> List<T> listOrEmpty(List<T> value) {
        return value == null ? List.of() : List.copyOf(value);
    }

    static <K, V> Map<K, V> mapOrEmpty(Map<K, V> value) {
        return value == null ? Map.of() : Map.copyOf(value);
    }
}
