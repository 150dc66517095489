package io.berrys.mesh.rollout.router;

/**
 * Moves traffic between two colours of a service. Every method is safe to repeat: a restarted rollout-service
 * re-applies the step it was in.
 */
public interface TrafficRouter {

    /** The name configuration chooses it by. */
    String name();

    /** False for routers that can only cut over at once; the rollout then has a single step of 100 %. */
    boolean gradual();

    /** Checks the objects this router needs exist, so a rollout fails before changing anything when they do not. */
    void verify(RouteTarget target);

    /** Sends {@code percent} of the traffic to {@code to}, the rest to {@code from}. */
    void setWeight(RouteTarget target, int percent);

    /** The share {@code to} actually receives, read back from the cluster. */
    int weight(RouteTarget target);

    /** All traffic back to {@code from}, in one API call. */
    void restore(RouteTarget target);

    /** Makes {@code to} the active colour: all traffic to it, with no canary object left carrying weight. */
    void promote(RouteTarget target);
}
