package io.berrys.mesh.monitor.alerts;

import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Replies;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.AlertFired;
import io.berrys.mesh.events.catalog.AlertResolved;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.RollbackTriggered;
import io.berrys.mesh.monitor.MonitorConfig;
import io.berrys.mesh.monitor.releases.LiveReleases;
import io.cloudevents.CloudEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * What the monitor-service does with the alerts of one webhook call: each new alert goes on the release's timeline
 * ({@code mesh.alert.fired} / {@code resolved}); a firing alert a policy maps to a service whose release can be
 * rolled back triggers {@code mesh.rollback.triggered} on {@code mesh.priority}, at most once per cooldown.
 */
@ApplicationScoped
public class AlertIntake {

    private static final Logger LOG = Logger.getLogger(AlertIntake.class);
    static final String SERVICE = Services.MONITOR;
    /** Alert notifications remembered for deduplication; Alertmanager repeats firing alerts for hours. */
    private static final int REMEMBERED = 100_000;

    /** A rollback this call caused, and how long after the request arrived it was written. */
    public record Rollback(String releaseId, String environment, String service, String alert, double writtenMs) {}

    /** What the call did, as the webhook answers it. */
    public record Handled(
            int received, int fired, int resolved, int duplicates, List<Rollback> rollbacks, List<String> recorded) {}

    private final AlertPolicy policy;
    private final LiveReleases releases;
    private final MonitorConfig config;
    private final Replies replies;
    private final Map<String, Boolean> seen = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    });
    private final Map<String, Instant> cooldownUntil = new ConcurrentHashMap<>();

    public AlertIntake(
            AlertPolicy policy,
            LiveReleases releases,
            MonitorConfig config,
            @Channel("out") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<CloudEvent> out) {
        this.policy = policy;
        this.releases = releases;
        this.config = config;
        this.replies = new Replies(out, SERVICE);
    }

    /** Completes once every event is written; fails (and forgets the alerts) when one could not be. */
    public CompletionStage<Handled> handle(WebhookPayload payload, long receivedNanos) {
        Instant now = Instant.now();
        List<CompletionStage<Void>> writes = new ArrayList<>();
        List<String> claimed = new ArrayList<>();
        List<String> reserved = new ArrayList<>();
        List<CompletableFuture<Rollback>> rollbacks = new ArrayList<>();
        List<String> recorded = new ArrayList<>();
        int fired = 0;
        int resolved = 0;
        int duplicates = 0;
        try {
            for (WebhookPayload.Alert alert : payload.alerts()) {
                String key = alert.fingerprint() + "|" + alert.status() + "|" + alert.startsAt();
                if (seen.putIfAbsent(key, Boolean.TRUE) != null) {
                    duplicates++;
                    continue;
                }
                claimed.add(key);
                Optional<AlertPolicy.Verdict> verdict = policy.judge(alert);
                String environment = verdict.map(AlertPolicy.Verdict::environment)
                        .orElse(alert.labels().get("environment"));
                String service = verdict.map(AlertPolicy.Verdict::service)
                        .orElse(alert.labels().get("service"));
                Optional<LiveReleases.Live> live = environment == null || service == null
                        ? Optional.empty()
                        : releases.rollbackable(environment, service, now);
                String releaseId = live.map(LiveReleases.Live::releaseId)
                        .or(() -> environment == null || service == null
                                ? Optional.empty()
                                : releases.latest(environment, service).map(LiveReleases.Live::releaseId))
                        .orElse(null);
                String subject = environment == null || service == null ? null : environment + "/" + service;

                if (!alert.firing()) {
                    resolved++;
                    writes.add(send(Events.of(
                                    EventType.ALERT_RESOLVED,
                                    SERVICE,
                                    new AlertResolved(
                                            alert.name(), alert.fingerprint(), environment, service, alert.endsAt()))
                            .releaseId(releaseId)
                            .subject(subject)
                            .build()));
                    continue;
                }
                fired++;
                String summary = Optional.ofNullable(alert.annotation("summary"))
                        .or(() -> Optional.ofNullable(alert.annotation("description")))
                        .orElse(alert.name());
                if (verdict.isEmpty()) {
                    recorded.add(alert.name() + ": no policy maps it to a service");
                } else if (verdict.get().action() == AlertPolicy.Action.RECORD) {
                    recorded.add(alert.name() + ": policy " + verdict.get().policy() + " records only");
                } else if (live.isEmpty()) {
                    recorded.add(alert.name() + ": no release of " + service + " in " + environment
                            + " is rolling out or inside its rollback window");
                } else if (!reserveCooldown(subject, now)) {
                    recorded.add(alert.name() + ": " + service + " in " + environment + " was rolled back recently;"
                            + " cooldown until " + cooldownUntil.get(subject));
                } else {
                    reserved.add(subject);
                    String reason = "alert " + alert.name() + " firing: " + summary;
                    CloudEvent rollback = Events.of(
                                    Task.ROLLBACK.type(Phase.TRIGGERED),
                                    SERVICE,
                                    new RollbackTriggered(environment, service, reason, SERVICE))
                            .releaseId(releaseId)
                            .subject(subject)
                            .build();
                    CompletableFuture<Rollback> written = send(rollback)
                            .thenApply(ignored -> new Rollback(
                                    releaseId,
                                    environment,
                                    service,
                                    alert.name(),
                                    (System.nanoTime() - receivedNanos) / 1e6))
                            .toCompletableFuture();
                    rollbacks.add(written);
                    writes.add(written.thenApply(ignored -> null));
                    // The coordinator records who asked and follows the release into ROLLING_BACK; it takes such
                    // commands only from mesh.commands, which only the monitor (and CI as release-publisher) may write.
                    writes.add(replies.request(Events.of(
                                    EventType.RELEASE_COMMAND,
                                    SERVICE,
                                    new ReleaseCommand(
                                            ReleaseCommand.Command.ROLLBACK,
                                            SERVICE + " (alert " + alert.name() + ")",
                                            reason))
                            .releaseId(releaseId)
                            .subject(subject)
                            .build()));
                }
                writes.add(send(Events.of(
                                EventType.ALERT_FIRED,
                                SERVICE,
                                new AlertFired(
                                        alert.name(),
                                        alert.fingerprint(),
                                        alert.labels().get("severity"),
                                        environment,
                                        service,
                                        alert.labels(),
                                        summary,
                                        alert.startsAt()))
                        .releaseId(releaseId)
                        .subject(subject)
                        .build()));
            }
        } catch (RuntimeException e) {
            // Whatever went out stays out (events are idempotent for their readers); the alerts count as unseen.
            claimed.forEach(seen::remove);
            reserved.forEach(cooldownUntil::remove);
            return CompletableFuture.failedFuture(e);
        }
        int firedCount = fired;
        int resolvedCount = resolved;
        int duplicateCount = duplicates;
        return CompletableFuture.allOf(writes.stream()
                        .map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture[]::new))
                .handle((ignored, failure) -> {
                    if (failure != null) {
                        // Alertmanager retries a failed call: the alerts must look new to it then.
                        claimed.forEach(seen::remove);
                        reserved.forEach(cooldownUntil::remove);
                        throw new IllegalStateException(
                                "could not write alert events: " + failure.getMessage(), failure);
                    }
                    List<Rollback> done =
                            rollbacks.stream().map(CompletableFuture::join).toList();
                    done.forEach(rollback -> LOG.infof(
                            "Rolling back %s in %s (release %s): alert %s",
                            rollback.service(), rollback.environment(), rollback.releaseId(), rollback.alert()));
                    return new Handled(
                            payload.alerts().size(), firedCount, resolvedCount, duplicateCount, done, recorded);
                });
    }

    /** One rollback per service per cooldown, even with alerts arriving in parallel calls. */
    private boolean reserveCooldown(String subject, Instant now) {
        boolean[] reserved = new boolean[1];
        cooldownUntil.compute(subject, (key, until) -> {
            if (until != null && until.isAfter(now)) {
                return until;
            }
            reserved[0] = true;
            return now.plus(config.cooldown());
        });
        return reserved[0];
    }

    private CompletionStage<Void> send(CloudEvent event) {
        return replies.send(event);
    }
}
