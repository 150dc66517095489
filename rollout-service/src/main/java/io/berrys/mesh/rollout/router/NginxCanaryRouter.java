package io.berrys.mesh.rollout.router;

import io.berrys.mesh.rollout.kube.Cluster;
import io.berrys.mesh.rollout.kube.Marks;
import io.berrys.mesh.rollout.kube.RolloutRejected;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.client.dsl.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;

/**
 * NGINX Ingress canary: the primary Ingress (named after the service) keeps sending to the stable Service; a canary
 * Ingress {@code <service>-canary} with the same rules sends {@code canary-weight} percent to the new colour.
 * During a shift, restoring is one update of the canary's weight; after promotion, it is one update of the stable
 * Service's selector.
 */
@ApplicationScoped
public class NginxCanaryRouter implements TrafficRouter {

    static final String CANARY = "nginx.ingress.kubernetes.io/canary";
    static final String CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

    private final Cluster cluster;

    public NginxCanaryRouter(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public String name() {
        return "nginx";
    }

    @Override
    public boolean gradual() {
        return true;
    }

    @Override
    public void verify(RouteTarget target) {
        if (primary(target).get() == null) {
            throw new RolloutRejected("the nginx router needs the Ingress " + target.service() + " in namespace "
                    + target.namespace() + ", and there is none");
        }
        if (cluster.service(target.namespace(), target.service()).isEmpty()) {
            throw new RolloutRejected("the nginx router needs the Service " + target.service() + " in namespace "
                    + target.namespace() + " behind the primary Ingress, and there is none");
        }
    }

    @Override
    public void setWeight(RouteTarget target, int percent) {
        Ingress existing = canary(target).get();
        if (existing == null) {
            cluster.client().resource(canaryFor(target, percent)).create();
            return;
        }
        Cluster.onConflictAgain(() -> canary(target).edit(ingress -> {
            Cluster.putAnnotations(ingress, Map.of(CANARY, "true", CANARY_WEIGHT, Integer.toString(percent)));
            pointBackends(ingress, target.colourService(target.to()));
            return ingress;
        }));
    }

    @Override
    public int weight(RouteTarget target) {
        String stableColour = cluster.service(target.namespace(), target.service())
                .map(Cluster::stableColour)
                .orElse(null);
        if (target.to().equals(stableColour)) {
            return 100 - canaryWeight(target);
        }
        return canaryWeight(target);
    }

    @Override
    public void restore(RouteTarget target) {
        String stableColour = cluster.service(target.namespace(), target.service())
                .map(Cluster::stableColour)
                .orElse(null);
        if (target.from().equals(stableColour)) {
            setWeight(target, 0);
        } else {
            // Promoted already: the stable Service carries the traffic, so it is the one to turn back.
            cluster.pinStableService(target.namespace(), target.service(), target.from());
        }
    }

    @Override
    public void promote(RouteTarget target) {
        cluster.pinStableService(target.namespace(), target.service(), target.to());
        setWeight(target, 0);
    }

    private int canaryWeight(RouteTarget target) {
        Ingress canary = canary(target).get();
        if (canary == null || canary.getMetadata().getAnnotations() == null) {
            return 0;
        }
        try {
            return Integer.parseInt(canary.getMetadata().getAnnotations().getOrDefault(CANARY_WEIGHT, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private Ingress canaryFor(RouteTarget target, int percent) {
        Ingress primary = primary(target).get();
        if (primary == null) {
            throw new RolloutRejected("the Ingress " + target.service() + " in namespace " + target.namespace()
                    + " disappeared during the rollout");
        }
        Ingress canary = new IngressBuilder()
                .withNewMetadata()
                .withName(target.service() + "-canary")
                .withNamespace(target.namespace())
                .addToLabels(Marks.APP, target.service())
                .addToLabels(Marks.MANAGED, Marks.SERVICE_NAME)
                .addToAnnotations(CANARY, "true")
                .addToAnnotations(CANARY_WEIGHT, Integer.toString(percent))
                .endMetadata()
                .withSpec(new io.fabric8.kubernetes.api.model.networking.v1.IngressSpecBuilder(primary.getSpec())
                        .withTls()
                        .build())
                .build();
        pointBackends(canary, target.colourService(target.to()));
        return canary;
    }

    private static void pointBackends(Ingress ingress, String service) {
        if (ingress.getSpec().getDefaultBackend() != null
                && ingress.getSpec().getDefaultBackend().getService() != null) {
            ingress.getSpec().getDefaultBackend().getService().setName(service);
        }
        for (IngressRule rule :
                Optional.ofNullable(ingress.getSpec().getRules()).orElse(java.util.List.of())) {
            if (rule.getHttp() == null) {
                continue;
            }
            for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                if (path.getBackend() != null && path.getBackend().getService() != null) {
                    path.getBackend().getService().setName(service);
                }
            }
        }
    }

    private Resource<Ingress> primary(RouteTarget target) {
        return cluster.client()
                .network()
                .v1()
                .ingresses()
                .inNamespace(target.namespace())
                .withName(target.service());
    }

    private Resource<Ingress> canary(RouteTarget target) {
        return cluster.client()
                .network()
                .v1()
                .ingresses()
                .inNamespace(target.namespace())
                .withName(target.service() + "-canary");
    }
}
