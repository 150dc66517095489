package io.berrys.mesh.events.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.time.temporal.Temporal;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * What was wrong with a JSON body, for the person who sent it: the field, by its path in the body, and the rule it
 * broke. Jackson's own messages name Java types ({@code java.util.ArrayList<...>}), which mean nothing to a caller
 * and say more about the service than it should.
 */
public final class JsonProblems {

    private JsonProblems() {}

    public static String describe(JsonProcessingException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof JsonEOFException) {
                return "the body is not valid JSON: it ends before its last value is complete";
            }
            if (cause instanceof JsonParseException parse) {
                return "the body is not valid JSON" + at(parse);
            }
        }
        if (failure instanceof UnrecognizedPropertyException unknown) {
            return field(unknown) + " is not a known field";
        }
        if (failure instanceof MismatchedInputException mismatched) {
            String original = mismatched.getOriginalMessage();
            if (original != null && original.startsWith("Unexpected end-of-input")) {
                return "the body is not valid JSON: it ends before its last value is complete";
            }
            String field = field(mismatched);
            String expected = expected(mismatched.getTargetType());
            if (failure instanceof InvalidFormatException invalid && invalid.getValue() != null) {
                return field + " must be " + expected + "; got " + quoted(invalid.getValue());
            }
            return field + " must be " + expected;
        }
        if (failure instanceof JsonMappingException mapping
                && mapping.getCause() instanceof IllegalArgumentException e
                && e.getMessage() != null) {
            // A payload record's constructor refused a value: its message names the field and the rule.
            return field(mapping) + ": " + e.getMessage();
        }
        return "the body could not be read" + at(failure);
    }

    private static String field(JsonMappingException failure) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : failure.getPath()) {
            if (reference.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "the body" : "`" + path + "`";
    }

    /** The JSON kind a Java type is read from. */
    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another kind";
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (type == String.class || type == Character.class || type == char.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == Integer.class
                || type == int.class
                || type == Long.class
                || type == long.class
                || type == Short.class
                || type == short.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.toString(type.getEnumConstants());
        }
        if (Temporal.class.isAssignableFrom(type)) {
            return "a date-time (RFC 3339)";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        return "an object";
    }

    private static String at(JsonProcessingException failure) {
        return failure.getLocation() == null || failure.getLocation().getLineNr() < 0
                ? ""
                : " (line " + failure.getLocation().getLineNr() + ", column "
                        + failure.getLocation().getColumnNr() + ")";
    }

    /** The value as JSON would show it: a string in quotes, a number or a boolean bare. */
    private static String quoted(Object value) {
        String text = String.valueOf(value);
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return value instanceof String ? "\"" + shown + "\"" : shown;
    }
}
