package io.berrys.mesh.coordinator.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The body of every 4xx answer: one message a person can act on. */
public record ApiError(String error) {

    /** Always JSON, whatever the endpoint produces: an event stream refused with 401 still answers JSON. */
    public static Response response(Response.Status status, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(message))
                .build();
    }

    /** Characters as the API document counts them (JSON Schema's maxLength counts code points, not UTF-16 units). */
    static int characters(String value) {
        return value.codePointCount(0, value.length());
    }

    /**
     * Whether a value could be in the store at all: PostgreSQL text cannot hold NUL, and nothing stored has one (the
     * publish rules keep it out), so a lookup for such a value finds nothing without asking.
     */
    static boolean couldBeStored(String value) {
        return value == null || value.indexOf('\u0000') < 0;
    }

    /**
     * Query parameters that take one value, given more than once: the framework would quietly take the first and
     * answer a request the caller did not mean.
     */
    static void singleValued(jakarta.ws.rs.core.UriInfo uri, List<String> problems, String... names) {
        var given = uri.getQueryParameters();
        for (String name : names) {
            List<String> values = given.get(name);
            if (values != null && values.size() > 1) {
                problems.add(name + " is given " + values.size() + " times; give it once");
            }
        }
    }

    /** Number parameters given empty: the framework would quietly use their default. */
    static void notEmpty(jakarta.ws.rs.core.UriInfo uri, List<String> problems, String... names) {
        var given = uri.getQueryParameters();
        for (String name : names) {
            List<String> values = given.get(name);
            if (values != null && values.size() == 1 && values.get(0).isBlank()) {
                problems.add(name + " is empty; leave it out for the default");
            }
        }
    }

    /**
     * A query parameter that must be a whole number within bounds: its value, or null with the problem added, which
     * names the parameter and the rule.
     */
    static Integer wholeNumber(String name, String value, int min, int max, List<String> problems) {
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below, with the rule
        }
        problems.add(name + " must be a whole number from " + min + " to " + max + ", got '"
                + (value.length() > 20 ? value.substring(0, 20) + "..." : value) + "'");
        return null;
    }
}
