package io.berrys.mesh.monitor.alerts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.SchemaProperty;

/**
 * Alertmanager's webhook body, version 4, as far as the monitor reads it. Unknown fields are ignored so newer
 * Alertmanagers still fit (truncatedAlerts among them: what was cut off is Alertmanager's to resend).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WebhookPayload(
        @Schema(
                required = true,
                enumeration = {"4"})
        String version,

        String groupKey,
        String status,
        String receiver,
        Map<String, String> groupLabels,
        Map<String, String> commonLabels,
        Map<String, String> commonAnnotations,
        String externalURL,
        @Schema(required = true, minItems = 1) List<Alert> alerts) {

    /**
     * Text with a character in it that is not white space as Java's {@code String.isBlank} has it (the event
     * catalog's rule), spelled out: JSON Schema's {@code \\s} is another set.
     */
    static final String NOT_BLANK =
            "[^\\t\\n\\u000B\\f\\r\\u001C-\\u001F \\u1680\\u2000-\\u2006\\u2008-\\u200A\\u2028\\u2029\\u205F\\u3000]";

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Alert(
            @Schema(
                    required = true,
                    enumeration = {"firing", "resolved"})
            String status,

            @Schema(
                    required = true,
                    description = "Alert labels; alertname names the alert",
                    properties = @SchemaProperty(name = "alertname", type = SchemaType.STRING, pattern = NOT_BLANK),
                    requiredProperties = "alertname",
                    additionalProperties = String.class)
            Map<String, String> labels,

            @Schema(additionalProperties = String.class) Map<String, String> annotations,
            String startsAt,
            String endsAt,
            String generatorURL,
            @Schema(required = true, pattern = NOT_BLANK) String fingerprint) {

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

    /** Blank as the event catalog has it; {@link #NOT_BLANK} says the same to the API document. */
    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
