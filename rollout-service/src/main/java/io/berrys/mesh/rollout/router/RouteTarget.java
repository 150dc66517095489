package io.berrys.mesh.rollout.router;

/**
 * What a router moves traffic between: the {@code from} colour (the version live before this rollout, the one a
 * rollback returns to) and the {@code to} colour of one service in one namespace.
 */
public record RouteTarget(String namespace, String service, String from, String to) {

    /** The Service selecting only pods of {@code colour}. */
    public String colourService(String colour) {
        return service + "-" + colour;
    }

    public String describe() {
        return service + " in " + namespace;
    }
}
