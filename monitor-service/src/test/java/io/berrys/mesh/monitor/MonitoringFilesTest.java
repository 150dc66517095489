package io.berrys.mesh.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring/ checked by the tools that will load it (promtool, amtool, from the Debian packages), and the
 * Prometheus Operator manifests kept equal to the plain rule files.
 */
class MonitoringFilesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + "\n" + output)
                .isZero();
        return output;
    }

    @Test
    void theRuleFilesAndThePrometheusConfigurationPassPromtool() throws Exception {
        Path dir = MonitoringServers.projectFile("deploy/monitoring");
        String promtool = MonitoringServers.binary("promtool", "prometheus");
        assertThat(run(
                        promtool,
                        "check",
                        "rules",
                        dir.resolve("rules/platform.rules.yml").toString()))
                .contains("SUCCESS: 2 rules found");
        assertThat(run(
                        promtool,
                        "check",
                        "rules",
                        dir.resolve("rules/mesh.rules.yml").toString()))
                .contains("SUCCESS: 5 rules found");
        assertThat(run(
                        promtool,
                        "check",
                        "config",
                        dir.resolve("prometheus.yml").toString()))
                .contains("is valid prometheus config file syntax");
    }

    @Test
    void theAlertmanagerConfigurationPassesAmtool() throws Exception {
        Path config = MonitoringServers.projectFile("deploy/monitoring/alertmanager.yml");
        assertThat(run(
                        MonitoringServers.binary("amtool", "prometheus-alertmanager"),
                        "check-config",
                        config.toString()))
                .contains("SUCCESS");
    }

    @Test
    void thePrometheusRuleManifestsHoldExactlyTheRuleFiles() throws Exception {
        Path dir = MonitoringServers.projectFile("deploy/monitoring");
        List<JsonNode> manifests = new ArrayList<>();
        try (var parser = YAML.getFactory()
                .createParser(dir.resolve("kubernetes/prometheusrule.yaml").toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(manifests::add);
        }
        assertThat(manifests).hasSize(2);
        assertThat(manifests)
                .allSatisfy(
                        manifest -> assertThat(manifest.path("kind").asText()).isEqualTo("PrometheusRule"));
        assertThat(manifests.get(0).path("spec"))
                .isEqualTo(YAML.readTree(dir.resolve("rules/platform.rules.yml").toFile()));
        assertThat(manifests.get(1).path("spec"))
                .isEqualTo(YAML.readTree(dir.resolve("rules/mesh.rules.yml").toFile()));
    }

    @Test
    void theServiceMonitorsScrapeTheMeshAndThePlatform() throws Exception {
        Path file = MonitoringServers.projectFile("deploy/monitoring/kubernetes/servicemonitor.yaml");
        List<JsonNode> monitors = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(monitors::add);
        }
        assertThat(monitors)
                .extracting(monitor -> monitor.path("kind").asText())
                .containsOnly("ServiceMonitor");
        assertThat(monitors.get(0)
                        .path("spec")
                        .path("endpoints")
                        .get(0)
                        .path("path")
                        .asText())
                .isEqualTo("/q/metrics");
        assertThat(monitors.get(1).path("spec").path("targetLabels").toString()).contains("service", "environment");
    }
}
