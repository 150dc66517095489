package io.berrys.mesh.events;

/** Keptn-style lifecycle of a task; the coordinator aggregates every task through these four. */
public enum Phase {
    TRIGGERED("triggered"),
    STARTED("started"),
    PROGRESSED("progressed"),
    FINISHED("finished");

    private final String id;

    Phase(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
