package io.berrys.mesh.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapKeySelector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
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

/** The mesh's own manifests under deploy/kubernetes/mesh parse into fabric8's model and keep its rules. */
class MeshManifestsTest {

    private static final Map<String, Integer> SERVICES = Map.of(
            "coordinator", 8080,
            "rollout-service", 8081,
            "migration-service", 8082,
            "backup-service", 8083,
            "monitor-service", 8084,
            "provisioner", 8085);

    private static List<HasMetadata> objects;

    @BeforeAll
    static void load() throws IOException {
        Path dir = null;
        for (Path at = Path.of("").toAbsolutePath(); at != null && dir == null; at = at.getParent()) {
            if (Files.isDirectory(at.resolve("deploy/kubernetes/mesh"))) {
                dir = at.resolve("deploy/kubernetes/mesh");
            }
        }
        assertThat(dir).as("deploy/kubernetes/mesh").isNotNull();
        objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")
                            && !path.getFileName().toString().equals("kustomization.yaml"))
                    .sorted()
                    .toList()) {
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

    private static <T extends HasMetadata> Map<String, T> byName(Class<T> type) {
        return objects.stream()
                .filter(type::isInstance)
                .map(type::cast)
                .collect(Collectors.toMap(object -> object.getMetadata().getName(), object -> object));
    }

    @Test
    void everyMeshServiceRunsWithHealthProbesAndSecretsOnlyByReference() {
        Map<String, Deployment> deployments = byName(Deployment.class);
        assertThat(deployments).containsOnlyKeys(SERVICES.keySet());
        deployments.forEach((name, deployment) -> {
            Container container =
                    deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(container.getPorts().get(0).getContainerPort()).as(name).isEqualTo(SERVICES.get(name));
            assertThat(container.getReadinessProbe().getHttpGet().getPath())
                    .as(name)
                    .isEqualTo("/q/health/ready");
            assertThat(container.getLivenessProbe().getHttpGet().getPath())
                    .as(name)
                    .isEqualTo("/q/health/live");
            assertThat(container.getResources().getLimits()).as(name).containsKey("memory");
            assertThat(container.getEnv())
                    .as(name)
                    .anySatisfy(env -> assertThat(env.getName()).isEqualTo("MESH_REDIS_URL"));
            assertThat(container.getEnv())
                    .as(name)
                    .filteredOn(env ->
                            env.getName().contains("PASSWORD") || env.getName().contains("TOKEN"))
                    .allSatisfy(env -> {
                        assertThat(env.getValue()).isNull();
                        assertThat(env.getValueFrom().getSecretKeyRef()).isNotNull();
                    });
        });
    }

    @Test
    void everyServiceReachesRedisAsItsOwnAclUserWithThePasswordOfItsOwnSecret() throws IOException {
        Path rules = null;
        for (Path at = Path.of("").toAbsolutePath(); at != null && rules == null; at = at.getParent()) {
            if (Files.isRegularFile(at.resolve("deploy/redis/users.acl"))) {
                rules = at.resolve("deploy/redis/users.acl");
            }
        }
        assertThat(rules).as("deploy/redis/users.acl").isNotNull();
        List<String> users = Files.readAllLines(rules).stream()
                .filter(line -> line.startsWith("user "))
                .map(line -> line.split(" ")[1])
                .toList();
        byName(Deployment.class).forEach((name, deployment) -> {
            Map<String, io.fabric8.kubernetes.api.model.EnvVar> env =
                    deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                            .collect(Collectors.toMap(
                                    io.fabric8.kubernetes.api.model.EnvVar::getName, variable -> variable));
            assertThat(env.get("MESH_REDIS_USER")).as(name + " MESH_REDIS_USER").isNotNull();
            assertThat(env.get("MESH_REDIS_USER").getValue()).as(name).isEqualTo(name);
            assertThat(users).as("users of deploy/redis/users.acl").contains(name);
            assertThat(env.get("MESH_REDIS_PASSWORD")
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getName())
                    .as(name)
                    .isEqualTo("mesh-redis-" + name);
        });
    }

    @Test
    void everyConfigurationKeyADeploymentRefersToIsInItsConfigMap() {
        // A missing key keeps the pod from starting (CreateContainerConfigError), long after the manifests applied.
        Map<String, ConfigMap> configMaps = byName(ConfigMap.class);
        byName(Deployment.class).forEach((name, deployment) -> {
            Container container =
                    deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            List<ConfigMapKeySelector> references = container.getEnv().stream()
                    .filter(env ->
                            env.getValueFrom() != null && env.getValueFrom().getConfigMapKeyRef() != null)
                    .map(env -> env.getValueFrom().getConfigMapKeyRef())
                    .toList();
            assertThat(references).as(name).isNotEmpty();
            references.forEach(reference -> {
                assertThat(configMaps).as(name).containsKey(reference.getName());
                assertThat(configMaps.get(reference.getName()).getData())
                        .as(name + " " + reference.getName())
                        .containsKey(reference.getKey());
            });
            assertThat(container.getEnv())
                    .as(name)
                    .anySatisfy(env -> assertThat(env.getName()).isEqualTo("JAVA_OPTS_APPEND"));
        });
    }

    @Test
    void everyMeshServiceIsScrapedByTheMonitoringServiceMonitor() {
        Map<String, Service> services = byName(Service.class);
        assertThat(services).containsOnlyKeys(SERVICES.keySet());
        services.forEach((name, service) -> {
            assertThat(service.getMetadata().getLabels())
                    .as(name)
                    .containsEntry("app.kubernetes.io/part-of", "berrys-deploy-mesh");
            assertThat(service.getSpec().getPorts().get(0).getName()).as(name).isEqualTo("http");
        });
    }

    @Test
    void theRolloutServiceMayChangeDeploymentsServicesAndRoutesButNotSecrets() {
        Deployment rollout = byName(Deployment.class).get("rollout-service");
        assertThat(rollout.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo("rollout-service");
        ClusterRoleBinding binding = byName(ClusterRoleBinding.class).get("berrys-rollout-service");
        assertThat(binding.getSubjects().get(0).getName()).isEqualTo("rollout-service");
        List<PolicyRule> rules =
                byName(ClusterRole.class).get(binding.getRoleRef().getName()).getRules();
        assertThat(rules)
                .anySatisfy(rule -> {
                    assertThat(rule.getResources()).contains("deployments");
                    assertThat(rule.getVerbs()).contains("patch", "create", "delete");
                })
                .anySatisfy(rule -> assertThat(rule.getResources()).contains("httproutes"))
                .noneSatisfy(rule -> assertThat(rule.getResources()).contains("secrets"));
    }

    @Test
    void theProvisionerReadsTheSpecsOfDeployEnvironmentsAndMayOnlyTouchNamespacesAndSecretsWhenLocal()
            throws IOException {
        Deployment provisioner = byName(Deployment.class).get("provisioner");
        var pod = provisioner.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("provisioner");
        assertThat(pod.getVolumes())
                .anySatisfy(
                        volume -> assertThat(volume.getConfigMap().getName()).isEqualTo("provisioner-environments"));
        assertThat(pod.getContainers().get(0).getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("MESH_ENVIRONMENTS_DIR");
            assertThat(env.getValue())
                    .isEqualTo(
                            pod.getContainers().get(0).getVolumeMounts().get(0).getMountPath());
        });

        // Every spec in deploy/environments is in the ConfigMap the Deployment mounts.
        Path environments = Path.of("").toAbsolutePath();
        for (Path at = environments; at != null; at = at.getParent()) {
            if (Files.isDirectory(at.resolve("deploy/environments"))) {
                environments = at.resolve("deploy/environments");
                break;
            }
        }
        String kustomization = Files.readString(environments.resolve("kustomization.yaml"));
        try (Stream<Path> specs = Files.list(environments)) {
            specs.map(path -> path.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
                    .forEach(name -> assertThat(kustomization)
                            .as("deploy/environments/kustomization.yaml")
                            .contains("- " + name));
        }

        ClusterRoleBinding binding = byName(ClusterRoleBinding.class).get("berrys-provisioner-local");
        assertThat(binding.getSubjects().get(0).getName()).isEqualTo("provisioner");
        assertThat(byName(ClusterRole.class).get(binding.getRoleRef().getName()).getRules())
                .allSatisfy(rule -> assertThat(rule.getResources()).isSubsetOf("namespaces", "secrets"));
        // Only a cluster that uses the local provider applies it.
        assertThat(Files.readString(environments.resolve("../kubernetes/mesh/kustomization.yaml")))
                .doesNotContain("provisioner-local-rbac.yaml");
    }
}
