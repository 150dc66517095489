package io.berrys.mesh.rollout.router;

import io.berrys.mesh.rollout.kube.Cluster;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import io.fabric8.kubernetes.api.model.Service;
import jakarta.enterprise.context.ApplicationScoped;

/** Cuts over at once by pointing the stable Service's selector at the other colour. */
@ApplicationScoped
public class SelectorRouter implements TrafficRouter {

    private final Cluster cluster;

    public SelectorRouter(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public String name() {
        return "selector";
    }

    @Override
    public boolean gradual() {
        return false;
    }

    @Override
    public void verify(RouteTarget target) {
        stable(target);
    }

    @Override
    public void setWeight(RouteTarget target, int percent) {
        cluster.pinStableService(target.namespace(), target.service(), percent > 0 ? target.to() : target.from());
    }

    @Override
    public int weight(RouteTarget target) {
        return target.to().equals(Cluster.stableColour(stable(target))) ? 100 : 0;
    }

    @Override
    public void restore(RouteTarget target) {
        cluster.pinStableService(target.namespace(), target.service(), target.from());
    }

    @Override
    public void promote(RouteTarget target) {
        cluster.pinStableService(target.namespace(), target.service(), target.to());
    }

    private Service stable(RouteTarget target) {
        return cluster.service(target.namespace(), target.service())
                .orElseThrow(() -> new RolloutRejected("the selector router needs the Service " + target.service()
                        + " in namespace " + target.namespace() + ", and there is none"));
    }
}
