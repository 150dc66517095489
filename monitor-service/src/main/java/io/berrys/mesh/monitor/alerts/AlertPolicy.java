package io.berrys.mesh.monitor.alerts;

import io.berrys.mesh.monitor.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Which release an alert judges, and whether it may roll that release back; rules from configuration. */
@ApplicationScoped
public class AlertPolicy {

    public enum Action {
        ROLLBACK,
        RECORD
    }

    /** The service an alert is about, and what the matching rule allows. */
    public record Verdict(String policy, Action action, String environment, String service) {}

    private final Map<String, MonitorConfig.Policy> policies;

    @Inject
    public AlertPolicy(MonitorConfig config) {
        this(config.policies());
    }

    AlertPolicy(Map<String, MonitorConfig.Policy> policies) {
        this.policies = new TreeMap<>(policies);
        this.policies.forEach((name, policy) -> action(name, policy));
    }

    /** Empty when no rule covers the alert, or the alert does not say which service it is about. */
    public Optional<Verdict> judge(WebhookPayload.Alert alert) {
        for (Map.Entry<String, MonitorConfig.Policy> entry : policies.entrySet()) {
            MonitorConfig.Policy policy = entry.getValue();
            if (!matches(policy, alert)) {
                continue;
            }
            String service = policy.service().orElse(alert.labels().get(policy.serviceLabel()));
            String environment = policy.environment().orElse(alert.labels().get(policy.environmentLabel()));
            if (service == null || service.isBlank() || environment == null || environment.isBlank()) {
                continue;
            }
            return Optional.of(new Verdict(entry.getKey(), action(entry.getKey(), policy), environment, service));
        }
        return Optional.empty();
    }

    private static boolean matches(MonitorConfig.Policy policy, WebhookPayload.Alert alert) {
        List<String> names = policy.alerts();
        if (!names.contains("*") && !names.contains(alert.name())) {
            return false;
        }
        if (policy.severities().isPresent()
                && !policy.severities().get().contains(alert.labels().get("severity"))) {
            return false;
        }
        for (Map.Entry<String, String> label : policy.labels().entrySet()) {
            if (!label.getValue().equals(alert.labels().get(label.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static Action action(String name, MonitorConfig.Policy policy) {
        return switch (policy.action()) {
            case "rollback" -> Action.ROLLBACK;
            case "record" -> Action.RECORD;
            default ->
                throw new IllegalArgumentException("mesh.monitor.policies." + name
                        + ".action must be rollback or record, got '" + policy.action() + "'");
        };
    }
}
