package io.berrys.mesh.provisioner.model;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One resource as the spec wants it: its logical id (stable across applies, carried as a tag), its kind and its
 * attributes. Attribute values are strings, longs, booleans or sorted lists of strings, so two resources compare
 * by value whatever built them.
 *
 * @param protect kept by a destroy, and a plan that would delete or replace it fails, unless forced
 */
public record Resource(String id, Kind kind, SortedMap<String, Object> attributes, boolean protect) {

    public Resource {
        attributes = Collections.unmodifiableSortedMap(normalise(attributes));
    }

    public static Resource of(String id, Kind kind, boolean protect, Object... pairs) {
        SortedMap<String, Object> attributes = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            attributes.put((String) pairs[i], pairs[i + 1]);
        }
        return new Resource(id, kind, attributes, protect);
    }

    /** The logical ids this resource names in its reference attributes, itself excluded. */
    public java.util.Set<String> dependencies() {
        return references(kind, attributes, id);
    }

    public String text(String name) {
        Object value = attributes.get(name);
        return value == null ? null : value.toString();
    }

    public long number(String name) {
        return ((Number) attributes.get(name)).longValue();
    }

    public boolean flag(String name) {
        return Boolean.TRUE.equals(attributes.get(name));
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String name) {
        Object value = attributes.get(name);
        return value == null ? List.of() : (List<String>) value;
    }

    static java.util.Set<String> references(Kind kind, Map<String, Object> attributes, String self) {
        java.util.Set<String> ids = new TreeSet<>();
        for (String name : kind.references()) {
            Object value = attributes.get(name);
            if (value instanceof String text && !text.isEmpty()) {
                ids.add(text);
            } else if (value instanceof Collection<?> list) {
                list.forEach(item -> ids.add(item.toString()));
            }
        }
        ids.remove(self);
        ids.remove("self");
        return ids;
    }

    /** Integers become longs and lists become sorted, immutable lists of strings. */
    public static SortedMap<String, Object> normalise(Map<String, Object> attributes) {
        SortedMap<String, Object> normal = new TreeMap<>();
        attributes.forEach((name, value) -> normal.put(name, normalise(value)));
        return normal;
    }

    private static Object normalise(Object value) {
        if (value instanceof Integer || value instanceof Short) {
            return ((Number) value).longValue();
        }
        if (value instanceof Collection<?> list) {
            return list.stream().map(String::valueOf).sorted().toList();
        }
        return value;
    }
}
