package io.berrys.mesh.rollout.router;

import io.berrys.mesh.rollout.kube.Cluster;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRefBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.client.dsl.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Gateway API: the HTTPRoute named after the service sends each rule to the two colour Services with weights.
 * Every change is one update of the route.
 */
@ApplicationScoped
public class GatewayRouter implements TrafficRouter {

    private final Cluster cluster;

    public GatewayRouter(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public String name() {
        return "gateway";
    }

    @Override
    public boolean gradual() {
        return true;
    }

    @Override
    public void verify(RouteTarget target) {
        HTTPRoute route = route(target).get();
        if (route == null) {
            throw new RolloutRejected("the gateway router needs the HTTPRoute " + target.service() + " in namespace "
                    + target.namespace() + ", and there is none");
        }
        if (route.getSpec() == null
                || route.getSpec().getRules() == null
                || route.getSpec().getRules().isEmpty()) {
            throw new RolloutRejected("the HTTPRoute " + target.service() + " in namespace " + target.namespace()
                    + " has no rules to weight");
        }
    }

    @Override
    public void setWeight(RouteTarget target, int percent) {
        int port = port(target);
        Cluster.onConflictAgain(() -> route(target).edit(route -> {
            for (HTTPRouteRule rule : route.getSpec().getRules()) {
                rule.setBackendRefs(List.of(
                        backend(target.colourService(target.from()), port, 100 - percent),
                        backend(target.colourService(target.to()), port, percent)));
            }
            return route;
        }));
    }

    @Override
    public int weight(RouteTarget target) {
        HTTPRoute route = route(target).get();
        if (route == null || route.getSpec() == null || route.getSpec().getRules() == null) {
            return 0;
        }
        String to = target.colourService(target.to());
        int total = 0;
        int toWeight = 0;
        for (HTTPBackendRef ref : route.getSpec().getRules().get(0).getBackendRefs()) {
            int weight = ref.getWeight() == null ? 1 : ref.getWeight();
            total += weight;
            if (to.equals(ref.getName())) {
                toWeight += weight;
            }
        }
        return total == 0 ? 0 : Math.round(100f * toWeight / total);
    }

    @Override
    public void restore(RouteTarget target) {
        setWeight(target, 0);
    }

    @Override
    public void promote(RouteTarget target) {
        setWeight(target, 100);
    }

    private Resource<HTTPRoute> route(RouteTarget target) {
        return cluster.client()
                .resources(HTTPRoute.class)
                .inNamespace(target.namespace())
                .withName(target.service());
    }

    private int port(RouteTarget target) {
        return cluster.service(target.namespace(), target.service())
                .map(service -> service.getSpec().getPorts().get(0).getPort())
                .orElseThrow(() -> new RolloutRejected("the Service " + target.service() + " in namespace "
                        + target.namespace() + " is missing; the route's backends take its port"));
    }

    private static HTTPBackendRef backend(String service, int port, int weight) {
        return new HTTPBackendRefBuilder()
                .withName(service)
                .withPort(port)
                .withWeight(weight)
                .build();
    }
}
