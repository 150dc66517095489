package io.berrys.mesh.system;

import io.berrys.mesh.events.testing.LocalServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real Prometheus and Alertmanager (the Debian packages servers.sh installs) on free ports: Prometheus scrapes the
 * simulated platform pods with the project's platform rules, windows cut to seconds; Alertmanager sends every
 * alert to the monitor-service's webhook at once.
 */
final class Monitoring implements AutoCloseable {

    final int prometheusPort = LocalServers.freePort();
    final int alertmanagerPort = LocalServers.freePort();
    private final List<Process> processes = new ArrayList<>();

    Monitoring(Path workDir, String platformUrl, String webhookUrl, String webhookToken) {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "monitoring-stop"));
        try {
            Files.createDirectories(workDir);
            Path rules = workDir.resolve("platform.rules.yml");
            Files.writeString(
                    rules,
                    Files.readString(LocalServers.repoRoot().resolve("deploy/monitoring/rules/platform.rules.yml"))
                            .replace("[5m]", "[5s]")
                            .replaceAll("for: \\d+m", "for: 1s"));
            Path tokenFile = workDir.resolve("webhook-token");
            Files.writeString(tokenFile, webhookToken);
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
                      - job_name: platform-simulated
                        static_configs:
                          - targets: ["%s"]
                    """.formatted(
                            rules, alertmanagerPort, URI.create(platformUrl).getAuthority()));
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
                          - url: %s
                            send_resolved: true
                            http_config:
                              authorization:
                                type: Bearer
                                credentials_file: %s
                    """.formatted(webhookUrl, tokenFile));
            launch(
                    workDir.resolve("prometheus.log"),
                    List.of(
                            binary("prometheus"),
                            "--config.file=" + prometheusConfig,
                            "--storage.tsdb.path=" + workDir.resolve("tsdb"),
                            "--web.listen-address=127.0.0.1:" + prometheusPort,
                            "--log.level=warn"));
            launch(
                    workDir.resolve("alertmanager.log"),
                    List.of(
                            binary("prometheus-alertmanager"),
                            "--config.file=" + alertmanagerConfig,
                            "--storage.path=" + workDir.resolve("alertmanager"),
                            "--web.listen-address=127.0.0.1:" + alertmanagerPort,
                            "--cluster.listen-address=",
                            "--log.level=warn"));
            awaitReady("http://127.0.0.1:" + prometheusPort + "/-/ready");
            awaitReady("http://127.0.0.1:" + alertmanagerPort + "/-/ready");
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    String prometheusUrl() {
        return "http://127.0.0.1:" + prometheusPort;
    }

    private static String binary(String name) {
        for (String dir : List.of("/usr/bin", "/usr/local/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException(name + " is not installed; run deploy/local/servers.sh start monitoring");
    }

    private void launch(Path log, List<String> command) throws IOException {
        processes.add(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start());
    }

    private static void awaitReady(String url) {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            MeshProcesses.sleep(100);
        }
        throw new IllegalStateException(url + " did not answer within 30 s");
    }

    @Override
    public void close() {
        MeshProcesses.stop(processes);
    }
}
