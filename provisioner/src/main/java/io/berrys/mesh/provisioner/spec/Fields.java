package io.berrys.mesh.provisioner.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One mapping of a spec being read: every read names the key it took, so keys nobody read are reported as
 * unknown, and a value of the wrong type is reported with its path instead of failing the whole read.
 */
final class Fields {

    private final JsonNode node;
    private final String path;
    private final List<Violation> violations;
    private final Set<String> known = new LinkedHashSet<>();

    Fields(JsonNode node, String path, List<Violation> violations) {
        this.path = path;
        this.violations = violations;
        if (node == null || node.isMissingNode() || node.isNull()) {
            this.node = MissingNode.getInstance();
        } else if (!node.isObject()) {
            violations.add(new Violation(path.isEmpty() ? "(top level)" : path, "must be a mapping of keys"));
            this.node = MissingNode.getInstance();
        } else {
            this.node = node;
        }
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        known.add(name);
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    String text(String name, String fallback) {
        known.add(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isValueNode() || value.isBoolean()) {
            violations.add(new Violation(key(name), "must be a string"));
            return fallback;
        }
        return value.asText();
    }

    int integer(String name, int fallback, int min, int max) {
        known.add(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            violations.add(new Violation(key(name), "must be a whole number, got '" + value.asText() + "'"));
            return fallback;
        }
        int number = value.intValue();
        if (number < min || number > max) {
            violations.add(new Violation(key(name), "must be between " + min + " and " + max + ", got " + number));
        }
        return number;
    }

    boolean bool(String name, boolean fallback) {
        known.add(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            violations.add(new Violation(key(name), "must be true or false, got '" + value.asText() + "'"));
            return fallback;
        }
        return value.booleanValue();
    }

    List<String> texts(String name, List<String> fallback) {
        known.add(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isArray()) {
            violations.add(new Violation(key(name), "must be a list"));
            return fallback;
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isValueNode() || item.isNull() || item.isBoolean()) {
                violations.add(new Violation(key(name) + "[" + i + "]", "must be a string"));
            } else {
                texts.add(item.asText());
            }
        }
        return List.copyOf(texts);
    }

    Fields object(String name) {
        known.add(name);
        return new Fields(node.get(name), key(name), violations);
    }

    /** A list of mappings; null when the key is absent. */
    List<Fields> objects(String name) {
        known.add(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            violations.add(new Violation(key(name), "must be a list"));
            return List.of();
        }
        List<Fields> items = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            items.add(new Fields(value.get(i), key(name) + "[" + i + "]", violations));
        }
        return items;
    }

    /** Reports every key of this mapping that no read asked for. */
    void rejectUnknown() {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                violations.add(new Violation(key(name), "unknown key; this section takes " + String.join(", ", known)));
            }
        }
    }

    void violation(String name, String rule) {
        violations.add(new Violation(key(name), rule));
    }
}
