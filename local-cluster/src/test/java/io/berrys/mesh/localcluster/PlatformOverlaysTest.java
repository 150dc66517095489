package io.berrys.mesh.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staging and production overlays as kustomize renders them (deploy/local/kustomize.sh, which builds kustomize
 * when the machine has none): the base's objects, each in its environment's namespace with its label, selectors
 * untouched, and the environment's configuration merged into the shared ConfigMap.
 */
class PlatformOverlaysTest {

    private static final List<String> ENVIRONMENTS = List.of("staging", "production");

    private static Path root;
    private static List<HasMetadata> base;
    /** kustomize's output per environment, rendered once for every test. */
    private static final Map<String, String> OVERLAYS = new HashMap<>();

    @BeforeAll
    static void renderOnce() throws Exception {
        root = PlatformManifestsTest.repoRoot();
        base = parse(render("deploy/kubernetes/platform/base"));
        for (String environment : ENVIRONMENTS) {
            OVERLAYS.put(environment, render("deploy/kubernetes/platform/overlays/" + environment));
        }
    }

    @Test
    void eachOverlayHoldsTheBasesObjectsInItsNamespaceWithItsLabel() throws Exception {
        for (String environment : ENVIRONMENTS) {
            List<HasMetadata> rendered = parse(OVERLAYS.get(environment));
            assertThat(keys(rendered)).as(environment).isEqualTo(keys(base));
            for (HasMetadata object : rendered) {
                String name = environment + " " + object.getKind() + "/"
                        + object.getMetadata().getName();
                assertThat(object.getMetadata().getNamespace()).as(name).isEqualTo(environment);
                assertThat(object.getMetadata().getLabels()).as(name).containsEntry("environment", environment);
            }
        }
    }

    @Test
    void theOverlaysLeaveSelectorsAndPodTemplatesAlone() throws Exception {
        // Blue-green switches traffic by the colour label; an environment label in a selector would be immutable
        // baggage on every Deployment and would make Services miss pods the rollout-service creates.
        Map<String, Deployment> baseDeployments = byName(base, Deployment.class);
        Map<String, Service> baseServices = byName(base, Service.class);
        for (String environment : ENVIRONMENTS) {
            List<HasMetadata> rendered = parse(OVERLAYS.get(environment));
            byName(rendered, Deployment.class).forEach((name, deployment) -> {
                Deployment original = baseDeployments.get(name);
                assertThat(deployment.getSpec().getSelector())
                        .as(environment + " " + name)
                        .isEqualTo(original.getSpec().getSelector());
                assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                        .as(environment + " " + name)
                        .isEqualTo(
                                original.getSpec().getTemplate().getMetadata().getLabels());
            });
            byName(rendered, Service.class)
                    .forEach((name, service) -> assertThat(service.getSpec().getSelector())
                            .as(environment + " " + name)
                            .isEqualTo(baseServices.get(name).getSpec().getSelector()));
        }
    }

    @Test
    void eachEnvironmentsConfigurationIsMergedIntoTheSharedConfigMapUnderItsOwnName() throws Exception {
        ConfigMap shared = byName(base, ConfigMap.class).get("berrys-platform-config");
        for (String environment : ENVIRONMENTS) {
            List<HasMetadata> rendered = parse(OVERLAYS.get(environment));
            Map<String, ConfigMap> configMaps = byName(rendered, ConfigMap.class);
            assertThat(configMaps).as(environment).containsKey("berrys-platform-config");
            assertThat(configMaps.get("berrys-platform-config").getData())
                    .as(environment)
                    .containsAllEntriesOf(shared.getData())
                    .containsEntry("ENVIRONMENT", environment);
            // A generator's hash suffix would leave every envFrom pointing at a ConfigMap that does not exist.
            byName(rendered, Deployment.class).forEach((name, deployment) -> {
                List<String> referenced = deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                        .flatMap(container -> container.getEnvFrom().stream())
                        .map(EnvFromSource::getConfigMapRef)
                        .filter(ref -> ref != null)
                        .map(ref -> ref.getName())
                        .toList();
                assertThat(configMaps.keySet()).as(environment + " " + name).containsAll(referenced);
            });
        }
    }

    @Test
    void theSimulatedClusterAppliesTheRenderedOverlaysToTheirOwnNamespaces(@TempDir Path dir) throws Exception {
        Path staging = Files.writeString(dir.resolve("staging.yaml"), OVERLAYS.get("staging"));
        Path production = Files.writeString(dir.resolve("production.yaml"), OVERLAYS.get("production"));

        try (LocalCluster.Running cluster = LocalCluster.start(0, 0, List.of(staging, production), List.of())) {
            assertThat(cluster.applied().perNamespace()).containsOnlyKeys("staging", "production");
            for (String environment : ENVIRONMENTS) {
                Deployment deployment = cluster.client()
                        .apps()
                        .deployments()
                        .inNamespace(environment)
                        .withName("planning-system")
                        .get();
                assertThat(deployment).as(environment).isNotNull();
                assertThat(deployment.getMetadata().getLabels()).containsEntry("environment", environment);
                ConfigMap config = cluster.client()
                        .configMaps()
                        .inNamespace(environment)
                        .withName("berrys-platform-config")
                        .get();
                assertThat(config.getData()).containsEntry("ENVIRONMENT", environment);
            }
        }
    }

    private static Set<String> keys(List<HasMetadata> objects) {
        return objects.stream()
                .map(object -> object.getKind() + "/" + object.getMetadata().getName())
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static <T extends HasMetadata> Map<String, T> byName(List<HasMetadata> objects, Class<T> type) {
        return objects.stream()
                .filter(type::isInstance)
                .map(type::cast)
                .collect(Collectors.toMap(object -> object.getMetadata().getName(), object -> object));
    }

    @SuppressWarnings("unchecked")
    private static List<HasMetadata> parse(String yaml) {
        Object parsed = Serialization.unmarshal(yaml);
        return parsed instanceof List<?> list ? (List<HasMetadata>) list : List.of((HasMetadata) parsed);
    }

    /** kustomize's output for a directory of the repository; its error output becomes the failure message. */
    private static String render(String directory) throws IOException, InterruptedException {
        Path script = root.resolve("deploy/local/kustomize.sh");
        // Files, not pipes: the first call may build kustomize and write more than a pipe holds, and reading a pipe
        // to its end would block past the timeout.
        Path outputFile = Files.createTempFile("kustomize", ".yaml");
        Path errorLog = Files.createTempFile("kustomize", ".log");
        try {
            Process process = new ProcessBuilder(
                            "bash",
                            script.toString(),
                            "build",
                            root.resolve(directory).toString())
                    .redirectOutput(outputFile.toFile())
                    .redirectError(errorLog.toFile())
                    .start();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(
                        "kustomize build " + directory + " took more than 180 s:\n" + Files.readString(errorLog));
            }
            assertThat(process.exitValue())
                    .as("deploy/local/kustomize.sh build " + directory + " failed:\n" + Files.readString(errorLog))
                    .isZero();
            return Files.readString(outputFile, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(outputFile);
            Files.deleteIfExists(errorLog);
        }
    }
}
