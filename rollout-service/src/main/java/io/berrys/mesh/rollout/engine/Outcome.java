package io.berrys.mesh.rollout.engine;

import io.berrys.mesh.events.catalog.Result;
import java.util.Map;

/** What a task finished with: the result, a message for the on-call engineer and details for machines. */
public record Outcome(Result result, String message, Map<String, Object> details) {

    public static Outcome pass(String message, Map<String, Object> details) {
        return new Outcome(Result.PASS, message, details);
    }

    public static Outcome warning(String message, Map<String, Object> details) {
        return new Outcome(Result.WARNING, message, details);
    }

    public static Outcome fail(String message, Map<String, Object> details) {
        return new Outcome(Result.FAIL, message, details);
    }
}
