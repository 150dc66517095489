package io.berrys.mesh.events.catalog;

import java.util.Map;

/** Payload of {@code mesh.<task>.finished}: the result, a message a person can act on, and task-specific details. */
public record TaskFinished(String task, Result result, String message, Map<String, Object> details) {
    public TaskFinished {
        Require.text(task, "task");
        Require.present(result, "result");
        Require.text(message, "message");
        details = Require.mapOrEmpty(details);
    }
}
