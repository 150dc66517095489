package io.berrys.mesh.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every manifest under deploy/kubernetes/platform parses into fabric8's model and keeps the platform's rules. */
class PlatformManifestsTest {

    private static final List<String> SERVICES = List.of(
            "agent-orchestrator",
            "planning-system",
            "model-orchestration",
            "tool-integration",
            "project-coordinator",
            "service-integration",
            "web-dashboard");

    private static Path base;
    private static List<HasMetadata> objects;

    @BeforeAll
    static void load() throws IOException {
        base = repoRoot().resolve("deploy/kubernetes/platform/base");
        objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(base)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml"))
                    .sorted()
                    .toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    Object parsed = Serialization.unmarshal(in);
                    if (parsed instanceof List<?> list) {
                        list.forEach(item -> objects.add((HasMetadata) item));
                    } else {
                        objects.add((HasMetadata) parsed);
                    }
                }
            }
        }
    }

    /** The repository's root, found upwards from where the tests run. */
    static Path repoRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/kubernetes"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "deploy/kubernetes not found above " + Path.of("").toAbsolutePath());
    }

    private static <T extends HasMetadata> Map<String, T> byName(Class<T> type) {
        return objects.stream()
                .filter(type::isInstance)
                .map(type::cast)
                .collect(Collectors.toMap(object -> object.getMetadata().getName(), object -> object));
    }

    @Test
    void everyPlatformServiceHasADeploymentWithProbesResourcesAndAColour() {
        Map<String, Deployment> deployments = byName(Deployment.class);
        assertThat(deployments).containsOnlyKeys(SERVICES);
        deployments.forEach((name, deployment) -> {
            assertThat(deployment.getSpec().getSelector().getMatchLabels())
                    .as(name)
                    .containsEntry("app.kubernetes.io/name", name)
                    .containsEntry("mesh.berrys.io/colour", "blue");
            assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                    .as(name)
                    .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
            Container container =
                    deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(container.getName()).as(name).isEqualTo(name);
            assertThat(container.getReadinessProbe()).as(name + " readiness").isNotNull();
            assertThat(container.getLivenessProbe()).as(name + " liveness").isNotNull();
            assertThat(container.getResources().getRequests()).as(name).containsKeys("cpu", "memory");
            assertThat(container.getResources().getLimits()).as(name).containsKeys("cpu", "memory");
            // Configuration from env and Secret references, never secret values in the manifest.
            assertThat(container.getEnvFrom()).as(name).isNotEmpty();
            assertThat(container.getEnv())
                    .as(name)
                    .filteredOn(env -> env.getName().contains("PASSWORD"))
                    .allSatisfy(env -> {
                        assertThat(env.getValue()).isNull();
                        assertThat(env.getValueFrom().getSecretKeyRef()).isNotNull();
                    });
        });
    }

    @Test
    void everyServiceSelectsItsDeploymentsLiveColour() {
        Map<String, Service> services = byName(Service.class);
        assertThat(services).containsOnlyKeys(SERVICES);
        services.forEach((name, service) -> assertThat(service.getSpec().getSelector())
                .as(name)
                .containsEntry("app.kubernetes.io/name", name)
                .containsEntry("mesh.berrys.io/colour", "blue"));
    }

    @Test
    void everyServiceScalesFromThreeToTenOnCpuAndMemory() {
        Map<String, HorizontalPodAutoscaler> autoscalers = byName(HorizontalPodAutoscaler.class);
        assertThat(autoscalers).containsOnlyKeys(SERVICES);
        autoscalers.forEach((name, hpa) -> {
            assertThat(hpa.getSpec().getScaleTargetRef().getName()).as(name).isEqualTo(name);
            assertThat(hpa.getSpec().getMinReplicas()).as(name).isEqualTo(3);
            assertThat(hpa.getSpec().getMaxReplicas()).as(name).isEqualTo(10);
            Map<String, Integer> targets = hpa.getSpec().getMetrics().stream()
                    .collect(Collectors.toMap(
                            (MetricSpec metric) -> metric.getResource().getName(),
                            metric -> metric.getResource().getTarget().getAverageUtilization()));
            assertThat(targets).as(name).containsEntry("cpu", 70).containsEntry("memory", 80);
        });
    }

    @Test
    void everyServiceHasARouteTheRolloutCanWeight() {
        Map<String, io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute> routes =
                byName(io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class);
        assertThat(routes).containsOnlyKeys(SERVICES);
        routes.forEach((name, route) -> assertThat(route.getSpec()
                        .getRules()
                        .get(0)
                        .getBackendRefs()
                        .get(0)
                        .getName())
                .as(name)
                .isEqualTo(name));
    }

    @Test
    void ingressIsDeniedUnlessAPolicyAllowsIt() {
        Map<String, NetworkPolicy> policies = byName(NetworkPolicy.class);
        NetworkPolicy deny = policies.get("default-deny-ingress");
        assertThat(deny).isNotNull();
        assertThat(deny.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
        assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
        assertThat(policies)
                .containsKeys("allow-platform-internal", "allow-dashboard-from-ingress", "allow-prometheus-scrape");
    }

    @Test
    void theKustomizationListsEveryManifestAndTheOverlaysPointAtIt() throws IOException {
        String kustomization = Files.readString(base.resolve("kustomization.yaml"));
        try (Stream<Path> files = Files.list(base)) {
            files.map(path -> path.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
                    .forEach(name -> assertThat(kustomization).contains("- " + name));
        }
        for (String environment : List.of("staging", "production")) {
            String overlay = Files.readString(base.resolveSibling("overlays/" + environment + "/kustomization.yaml"));
            assertThat(overlay).contains("namespace: " + environment).contains("- ../../base");
        }
    }
}
