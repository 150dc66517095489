package io.berrys.mesh.rollout;

import io.berrys.mesh.rollout.kube.Marks;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;

/** A platform service as its manifests put it in the cluster: Deployment, Service, HTTPRoute and Ingress. */
final class Platform {

    private final KubernetesClient client;

    Platform(KubernetesClient client) {
        this.client = client;
    }

    void install(String namespace, String service, String version) {
        client.resource(new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(service)
                        .withNamespace(namespace)
                        .addToLabels(Marks.APP, service)
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(2)
                        .withNewSelector()
                        .addToMatchLabels(Marks.APP, service)
                        .addToMatchLabels(Marks.COLOUR, "blue")
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .addToLabels(Marks.APP, service)
                        .addToLabels(Marks.COLOUR, "blue")
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName(service)
                        .withImage("registry.local/" + service + ":" + version)
                        .addNewPort()
                        .withContainerPort(8080)
                        .endPort()
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        client.resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName(service)
                        .withNamespace(namespace)
                        .endMetadata()
                        .withNewSpec()
                        .addToSelector(Marks.APP, service)
                        .addNewPort()
                        .withName("http")
                        .withPort(80)
                        .withTargetPort(new IntOrString(8080))
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        client.resource(new HTTPRouteBuilder()
                        .withNewMetadata()
                        .withName(service)
                        .withNamespace(namespace)
                        .endMetadata()
                        .withNewSpec()
                        .addNewParentRef()
                        .withName("platform")
                        .endParentRef()
                        .addNewRule()
                        .addNewBackendRef()
                        .withName(service)
                        .withPort(80)
                        .endBackendRef()
                        .endRule()
                        .endSpec()
                        .build())
                .create();
        client.resource(new IngressBuilder()
                        .withNewMetadata()
                        .withName(service)
                        .withNamespace(namespace)
                        .addToAnnotations("kubernetes.io/ingress.class", "nginx")
                        .endMetadata()
                        .withNewSpec()
                        .addNewRule()
                        .withHost(service + ".berrys.local")
                        .withNewHttp()
                        .addNewPath()
                        .withPath("/")
                        .withPathType("Prefix")
                        .withNewBackend()
                        .withNewService()
                        .withName(service)
                        .withNewPort()
                        .withNumber(80)
                        .endPort()
                        .endService()
                        .endBackend()
                        .endPath()
                        .endHttp()
                        .endRule()
                        .endSpec()
                        .build())
                .create();
    }

    Deployment deployment(String namespace, String name) {
        return client.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    String annotation(String namespace, String name, String key) {
        Deployment deployment = deployment(namespace, name);
        return deployment == null
                ? null
                : Optional.ofNullable(deployment.getMetadata().getAnnotations())
                        .orElse(Map.of())
                        .get(key);
    }

    int replicas(String namespace, String name) {
        return deployment(namespace, name).getSpec().getReplicas();
    }

    String stableColour(String namespace, String service) {
        return client.services()
                .inNamespace(namespace)
                .withName(service)
                .get()
                .getSpec()
                .getSelector()
                .get(Marks.COLOUR);
    }

    /** Weights of the route's first rule by backend Service name. */
    Map<String, Integer> routeWeights(String namespace, String service) {
        HTTPRoute route = client.resources(HTTPRoute.class)
                .inNamespace(namespace)
                .withName(service)
                .get();
        Map<String, Integer> weights = new java.util.TreeMap<>();
        for (HTTPBackendRef ref : route.getSpec().getRules().get(0).getBackendRefs()) {
            weights.put(ref.getName(), ref.getWeight());
        }
        return weights;
    }

    Ingress canary(String namespace, String service) {
        return client.network()
                .v1()
                .ingresses()
                .inNamespace(namespace)
                .withName(service + "-canary")
                .get();
    }
}
