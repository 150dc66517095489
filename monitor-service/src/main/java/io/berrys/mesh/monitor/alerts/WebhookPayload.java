package io.berrys.mesh.monitor.alerts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Alertmanager's webhook body, version 4. Unknown fields are ignored so newer Alertmanagers still fit. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WebhookPayload(
        String version,
        String groupKey,
        Integer truncatedAlerts,
        String status,
        String receiver,
        Map<String, String> groupLabels,
        Map<String, String> commonLabels,
        Map<String, String> commonAnnotations,
        String externalURL,
        List<Alert> alerts) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Alert(
            String status,
            Map<String, String> labels,
            Map<String, String> annotations,
            String startsAt,
            String endsAt,
            String generatorURL,
            String fingerprint) {

        public String name() {
            return labels.get("alertname");
        }

        public boolean firing() {
            return "firing".equals(status);
        }

        public String annotation(String key) {
            return annotations == null ? null : annotations.get(key);
        }
    }

    /** What is wrong with the payload, in words for the 400 answer; empty when it is usable. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!"4".equals(version)) {
            problems.add("'version' must be \"4\" (Alertmanager webhook payload), got "
                    + (version == null ? "nothing" : "\"" + version + "\""));
        }
        if (alerts == null || alerts.isEmpty()) {
            problems.add("'alerts' must hold at least one alert");
            return problems;
        }
        for (int i = 0; i < alerts.size(); i++) {
            Alert alert = alerts.get(i);
            String where = "alerts[" + i + "]";
            if (alert == null) {
                problems.add(where + " is null");
                continue;
            }
            if (!"firing".equals(alert.status()) && !"resolved".equals(alert.status())) {
                problems.add(where + ".status must be firing or resolved, got " + alert.status());
            }
            if (alert.labels() == null || isBlank(alert.labels().get("alertname"))) {
                problems.add(where + ".labels.alertname is required");
            }
            if (isBlank(alert.fingerprint())) {
                problems.add(where + ".fingerprint is required");
            }
            if (alert.labels() != null && alert.labels().containsValue(null)) {
                problems.add(where + ".labels must not hold null values");
            }
            if (alert.annotations() != null && alert.annotations().containsValue(null)) {
                problems.add(where + ".annotations must not hold null values");
            }
        }
        return problems;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
