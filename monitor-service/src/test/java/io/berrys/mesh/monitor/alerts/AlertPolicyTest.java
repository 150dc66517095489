package io.berrys.mesh.monitor.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.monitor.MonitorConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AlertPolicyTest {

    private record Policy(
            List<String> alerts,
            Optional<List<String>> severities,
            Map<String, String> labels,
            String action,
            String serviceLabel,
            String environmentLabel,
            Optional<String> service,
            Optional<String> environment)
            implements MonitorConfig.Policy {

        static Policy rollbackOn(String... alerts) {
            return new Policy(
                    List.of(alerts),
                    Optional.empty(),
                    Map.of(),
                    "rollback",
                    "service",
                    "environment",
                    Optional.empty(),
                    Optional.empty());
        }
    }

    private static WebhookPayload.Alert alert(String name, Map<String, String> labels) {
        Map<String, String> all = new java.util.HashMap<>(labels);
        all.put("alertname", name);
        return new WebhookPayload.Alert("firing", all, Map.of(), "2026-11-26T08:00:00Z", null, null, "fp-" + name);
    }

    @Test
    void anAlertNamedByARuleJudgesTheServiceAndEnvironmentItsLabelsName() {
        AlertPolicy policy = new AlertPolicy(Map.of("platform", Policy.rollbackOn("HighErrorRate")));

        Optional<AlertPolicy.Verdict> verdict = policy.judge(
                alert("HighErrorRate", Map.of("service", "planner", "environment", "staging", "severity", "critical")));

        assertThat(verdict)
                .contains(new AlertPolicy.Verdict("platform", AlertPolicy.Action.ROLLBACK, "staging", "planner"));
    }

    @Test
    void severitiesAndLabelsNarrowARule() {
        Policy critical = new Policy(
                List.of("*"),
                Optional.of(List.of("critical")),
                Map.of("team", "agents"),
                "rollback",
                "service",
                "environment",
                Optional.empty(),
                Optional.empty());
        AlertPolicy policy = new AlertPolicy(Map.of("critical", critical));

        assertThat(policy.judge(alert(
                        "Anything",
                        Map.of("service", "planner", "environment", "prod", "severity", "critical", "team", "agents"))))
                .isPresent();
        assertThat(policy.judge(alert(
                        "Anything",
                        Map.of("service", "planner", "environment", "prod", "severity", "warning", "team", "agents"))))
                .isEmpty();
        assertThat(policy.judge(alert(
                        "Anything",
                        Map.of("service", "planner", "environment", "prod", "severity", "critical", "team", "web"))))
                .isEmpty();
    }

    @Test
    void rulesAreTriedInNameOrderAndTheFirstMatchDecides() {
        Policy record = new Policy(
                List.of("HighErrorRate"),
                Optional.empty(),
                Map.of("environment", "dev"),
                "record",
                "service",
                "environment",
                Optional.empty(),
                Optional.empty());
        AlertPolicy policy =
                new AlertPolicy(Map.of("b-rollback", Policy.rollbackOn("HighErrorRate"), "a-dev-records", record));

        assertThat(policy.judge(alert("HighErrorRate", Map.of("service", "web", "environment", "dev")))
                        .orElseThrow()
                        .action())
                .isEqualTo(AlertPolicy.Action.RECORD);
        assertThat(policy.judge(alert("HighErrorRate", Map.of("service", "web", "environment", "prod")))
                        .orElseThrow()
                        .action())
                .isEqualTo(AlertPolicy.Action.ROLLBACK);
    }

    @Test
    void aRuleCanNameTheServiceItselfAndAnAlertWithoutOneIsNotJudged() {
        Policy fixed = new Policy(
                List.of("GatewayDown"),
                Optional.empty(),
                Map.of(),
                "rollback",
                "service",
                "environment",
                Optional.of("web-dashboard"),
                Optional.of("production"));
        AlertPolicy policy = new AlertPolicy(Map.of("fixed", fixed, "labels", Policy.rollbackOn("HighErrorRate")));

        assertThat(policy.judge(alert("GatewayDown", Map.of())).orElseThrow().service())
                .isEqualTo("web-dashboard");
        assertThat(policy.judge(alert("HighErrorRate", Map.of("environment", "prod"))))
                .isEmpty();
        assertThat(policy.judge(alert("SomethingElse", Map.of("service", "x", "environment", "y"))))
                .isEmpty();
    }

    @Test
    void anUnknownActionIsAConfigurationError() {
        Policy typo = new Policy(
                List.of("*"),
                Optional.empty(),
                Map.of(),
                "rolback",
                "service",
                "environment",
                Optional.empty(),
                Optional.empty());

        assertThatThrownBy(() -> new AlertPolicy(Map.of("typo", typo)))
                .hasMessage("mesh.monitor.policies.typo.action must be rollback or record, got 'rolback'");
    }
}
