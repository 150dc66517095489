package io.berrys.mesh.provisioner.provider;

/** Between the logical ids of a spec and the physical ids of a cloud, for the resources of one environment. */
public interface Names {

    /** The physical id of a resource of the environment; fails when it does not exist (yet). */
    String physical(String logicalId);

    /** The logical id of a physical id, or {@code external:<id>} for something outside the environment. */
    String logical(String physicalId);

    /** An output of a resource (an endpoint, a port); fails when it has none by that name. */
    String output(String logicalId, String name);
}
