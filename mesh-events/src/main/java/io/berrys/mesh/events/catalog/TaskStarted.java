package io.berrys.mesh.events.catalog;

/** Payload of {@code mesh.<task>.started}: the owner accepted the command. */
public record TaskStarted(String task, String agent, String message) {
    public TaskStarted {
        Require.text(task, "task");
        Require.text(agent, "agent");
    }
}
