package io.berrys.mesh.monitor;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real Prometheus and Alertmanager (Debian packages {@code prometheus}, {@code prometheus-alertmanager}) on free
 * loopback ports, with one-second scrape and evaluation intervals. Prometheus scrapes a {@link PlatformApp} and the
 * monitor-service's own {@code /q/metrics}, evaluates the project's platform rules with their windows shortened,
 * and sends to the Alertmanager, which posts to the monitor-service's webhook with the test token. The service's
 * HTTP port is fixed here, before it starts, so both know where it is.
 */
public class MonitoringServers implements QuarkusTestResourceLifecycleManager {

    static final String TOKEN = "test-alert-token";
    static PlatformApp platform;
    static int prometheusPort;

    private Process prometheus;
    private Process alertmanager;
    private Path workDir;

    @Override
    public Map<String, String> start() {
        try {
            workDir = Files.createTempDirectory("mesh-monitoring-");
            platform = new PlatformApp();
            int servicePort = freePort();
            prometheusPort = freePort();
            int alertmanagerPort = freePort();
            int alertmanagerCluster = freePort();

            Path rules = workDir.resolve("platform.rules.yml");
            Files.writeString(
                    rules, shortened(Files.readString(projectFile("deploy/monitoring/rules/platform.rules.yml"))));
            Path prometheusConfig = workDir.resolve("prometheus.yml");
            Files.writeString(prometheusConfig, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: ["%s"]
                    alerting:
                      alertmanagers:
                        - static_configs:
                            - targets: ["127.0.0.1:%d"]
                    scrape_configs:
                      - job_name: platform
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                      - job_name: berrys-deploy-mesh
                        metrics_path: /q/metrics
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(rules, alertmanagerPort, platform.port(), servicePort));
            Path alertmanagerConfig = workDir.resolve("alertmanager.yml");
            Files.writeString(alertmanagerConfig, """
                    route:
                      receiver: mesh-monitor
                      group_by: [alertname, environment, service]
                      group_wait: 0s
                      group_interval: 1s
                      repeat_interval: 1h
                    receivers:
                      - name: mesh-monitor
                        webhook_configs:
                          - url: http://127.0.0.1:%d/api/alerts
                            send_resolved: true
                            http_config:
                              authorization:
                                type: Bearer
                                credentials: %s
                    """.formatted(servicePort, TOKEN));

            prometheus = launch(
                    "prometheus",
                    List.of(
                            binary("prometheus", "prometheus"),
                            "--config.file=" + prometheusConfig,
                            "--storage.tsdb.path=" + workDir.resolve("tsdb"),
                            "--web.listen-address=127.0.0.1:" + prometheusPort,
                            "--log.level=warn"));
            alertmanager = launch(
                    "alertmanager",
                    List.of(
                            binary("prometheus-alertmanager", "prometheus-alertmanager"),
                            "--config.file=" + alertmanagerConfig,
                            "--storage.path=" + workDir.resolve("alertmanager"),
                            "--web.listen-address=127.0.0.1:" + alertmanagerPort,
                            "--cluster.listen-address=127.0.0.1:" + alertmanagerCluster,
                            "--log.level=warn"));
            awaitReady("Prometheus", "http://127.0.0.1:" + prometheusPort + "/-/ready", prometheus);
            awaitReady("Alertmanager", "http://127.0.0.1:" + alertmanagerPort + "/-/ready", alertmanager);
            return Map.of(
                    "quarkus.http.test-port",
                    Integer.toString(servicePort),
                    "mesh.monitor.prometheus.url",
                    "http://127.0.0.1:" + prometheusPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The production rules with their windows cut to seconds, so a test sees an alert fire in a few. */
    static String shortened(String rules) {
        return rules.replace("[5m]", "[5s]").replaceAll("for: \\d+m", "for: 1s");
    }

    static Path projectFile(String relative) {
        Path here = Path.of("").toAbsolutePath();
        for (Path dir = here; dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        throw new IllegalStateException(relative + " not found above " + here);
    }

    /** The Debian binary, or a clear failure saying how to get it: these tests never skip. */
    static String binary(String name, String debianPackage) {
        for (String dir : List.of("/usr/bin", "/usr/local/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException(name + " is not installed; run deploy/local/servers.sh start monitoring"
                + " (or apt-get install -y " + debianPackage + ")");
    }

    private Process launch(String name, List<String> command) throws IOException {
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve(name + ".log").toFile())
                .start();
    }

    private void awaitReady(String name, String url, Process process) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited: " + log(name));
            }
            try {
                HttpURLConnection connection =
                        (HttpURLConnection) URI.create(url).toURL().openConnection();
                connection.setConnectTimeout(500);
                if (connection.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(name + " did not become ready within 30 s: " + log(name));
    }

    private String log(String name) {
        try {
            return Files.readString(
                    workDir.resolve((name.equals("Prometheus") ? "prometheus" : "alertmanager") + ".log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void stop() {
        for (Process process : new Process[] {prometheus, alertmanager}) {
            if (process != null) {
                process.destroy();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                process.destroyForcibly();
            }
        }
        if (platform != null) {
            platform.close();
        }
    }
}
