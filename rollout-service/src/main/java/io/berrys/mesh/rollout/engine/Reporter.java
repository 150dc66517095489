package io.berrys.mesh.rollout.engine;

import io.cloudevents.CloudEvent;

/** How a running task tells the mesh what it is doing. */
public interface Reporter {

    /** A step worth a line in the release's timeline. */
    void progressed(String step, Integer percent, String message);

    /** Keeps the coordinator's heartbeat timeout from firing while a step waits; sends only when one is due. */
    void heartbeat(String message);

    /** A command to another service (a verification of a traffic step), with this task as its cause. */
    void command(CloudEvent event);
}
