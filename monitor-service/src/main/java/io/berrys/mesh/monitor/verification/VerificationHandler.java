package io.berrys.mesh.monitor.verification;

import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.Settlement;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.TaskRunner;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.VerificationTriggered;
import io.berrys.mesh.monitor.MonitorConfig;
import io.cloudevents.CloudEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * {@code mesh.verification.triggered}: measures the named PromQL checks every interval over the bake window, one
 * {@code progressed} per measurement, and finishes pass, warning (inconclusive) or fail with the measurements.
 */
@ApplicationScoped
public class VerificationHandler {

    private static final String SERVICE = "monitor-service";

    private final MonitorConfig config;
    private final PrometheusClient prometheus;
    private final TaskRunner runner;

    public VerificationHandler(
            MonitorConfig config,
            PrometheusClient prometheus,
            @Channel("out") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> out) {
        this.config = config;
        this.prometheus = prometheus;
        this.runner = new TaskRunner("verification", new Replies(out, SERVICE), SERVICE);
    }

    @Incoming("verifications")
    public Uni<Void> verify(Message<CloudEvent> message) {
        return Settlement.whenDone(message, this::verifyCommand);
    }

    CompletionStage<Void> verifyCommand(CloudEvent command) {
        VerificationTriggered request = Events.command(command, Task.VERIFICATION, VerificationTriggered.class);
        return runner.run(command, progress -> run(request, progress));
    }

    private TaskFinished run(VerificationTriggered request, TaskRunner.Progress progress) throws InterruptedException {
        Optional<MonitorConfig.Environment> environment =
                Optional.ofNullable(config.environments().get(request.environment()));
        List<String> names = request.checks().isEmpty()
                ? environment.flatMap(MonitorConfig.Environment::checks).orElse(List.of())
                : request.checks();
        if (names.isEmpty()) {
            return new TaskFinished(
                    "verification",
                    Result.WARNING,
                    "no verification checks are configured for " + request.environment() + "; nothing was measured",
                    Map.of());
        }
        List<String> unknown = names.stream()
                .filter(name -> !config.checks().containsKey(name))
                .toList();
        if (!unknown.isEmpty()) {
            return new TaskFinished(
                    "verification",
                    Result.FAIL,
                    "unknown check(s) " + unknown + "; configured: "
                            + config.checks().keySet(),
                    Map.of());
        }
        String namespace =
                environment.flatMap(MonitorConfig.Environment::namespace).orElse(request.environment());
        Map<String, Analysis> analyses = new LinkedHashMap<>();
        Map<String, String> queries = new LinkedHashMap<>();
        for (String name : names) {
            MonitorConfig.Check check = config.checks().get(name);
            Condition condition;
            try {
                condition = Condition.parse(check.condition());
            } catch (IllegalArgumentException e) {
                return new TaskFinished("verification", Result.FAIL, "check " + name + ": " + e.getMessage(), Map.of());
            }
            analyses.put(
                    name,
                    new Analysis(
                            name,
                            condition,
                            check.failureLimit(),
                            check.inconclusiveLimit(),
                            config.verification().consecutiveErrorLimit()));
            queries.put(
                    name,
                    check.query()
                            .replace("{service}", request.service())
                            .replace("{environment}", request.environment())
                            .replace("{namespace}", namespace));
        }

        Duration bake = request.bakeSeconds() == null
                ? config.verification().bake()
                : Duration.ofSeconds(request.bakeSeconds());
        Duration interval = config.verification().interval();
        long rounds = Math.max(1, bake.toMillis() / Math.max(1, interval.toMillis()));
        for (long round = 1; round <= rounds; round++) {
            long started = System.nanoTime();
            boolean decided = false;
            for (Map.Entry<String, Analysis> entry : analyses.entrySet()) {
                Analysis analysis = entry.getValue();
                Analysis.Measurement measurement;
                try {
                    measurement = analysis.measured(prometheus.query(queries.get(entry.getKey())));
                } catch (PrometheusClient.QueryFailed e) {
                    measurement = analysis.failedToMeasure(e.getMessage());
                }
                progress.progressed(
                        "measured-" + entry.getKey(),
                        (int) (100 * round / rounds),
                        entry.getKey() + " " + measurement.kind().name().toLowerCase() + ": " + measurement.detail()
                                + " (" + round + "/" + rounds + ")");
                decided |= analysis.decided();
            }
            if (decided) {
                break;
            }
            if (round < rounds) {
                long waitMs = interval.toMillis() - (System.nanoTime() - started) / 1_000_000;
                if (waitMs > 0) {
                    Thread.sleep(waitMs);
                }
            }
        }

        Result result = Result.PASS;
        List<String> summaries = new ArrayList<>();
        Map<String, Object> details = new LinkedHashMap<>();
        for (Map.Entry<String, Analysis> entry : analyses.entrySet()) {
            Analysis analysis = entry.getValue();
            summaries.add(analysis.summary());
            details.put(
                    entry.getKey(),
                    analysis.measurements().stream()
                            .map(m -> m.value() == null ? m.kind().name().toLowerCase() : m.value())
                            .toList());
            result = worse(result, analysis.result());
        }
        String prefix = request.trafficPercent() == null ? "" : "at " + request.trafficPercent() + " % of traffic: ";
        return new TaskFinished("verification", result, prefix + String.join("; ", summaries), details);
    }

    private static Result worse(Result a, Result b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    void stop(@Observes ShutdownEvent event) {
        runner.shutdown();
    }
}
