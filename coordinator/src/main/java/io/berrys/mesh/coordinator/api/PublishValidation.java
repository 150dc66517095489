package io.berrys.mesh.coordinator.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks a publish request; every problem is reported at once. */
final class PublishValidation {

    private static final Pattern SERVICE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");
    /** registry/path/name with a tag, a digest, or both (the OCI reference grammar, simplified). */
    private static final Pattern IMAGE =
            Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
                    + "(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?");

    private static final Pattern DATABASE = Pattern.compile("[a-z][a-z0-9_-]{0,62}");

    private PublishValidation() {}

    static List<String> problems(PublishRequest request, List<String> environments) {
        List<String> problems = new ArrayList<>();
        if (request == null) {
            return List.of("a JSON body with environment, service, version and image is required");
        }
        if (request.environment() == null || request.environment().isBlank()) {
            problems.add("environment is required (one of " + environments + ")");
        } else if (!environments.contains(request.environment())) {
            problems.add("environment '" + request.environment() + "' has no pipeline (one of " + environments + ")");
        }
        if (request.service() == null || !SERVICE.matcher(request.service()).matches()) {
            problems.add(
                    "service must be a DNS label (lower-case letters, digits, '-'), got " + quote(request.service()));
        }
        if (request.version() == null || !VERSION.matcher(request.version()).matches()) {
            problems.add("version must be letters, digits, '.', '_', '+' or '-', got " + quote(request.version()));
        }
        if (request.image() == null
                || !IMAGE.matcher(request.image()).matches()
                || !(request.image().contains(":") || request.image().contains("@"))) {
            problems.add("image must be a reference with a tag or digest (registry/name:tag), got "
                    + quote(request.image()));
        }
        if (request.databases() != null) {
            for (String database : request.databases()) {
                if (database == null || !DATABASE.matcher(database).matches()) {
                    problems.add("database names are lower-case identifiers, got " + quote(database));
                }
            }
        }
        return problems;
    }

    private static String quote(String value) {
        return value == null ? "nothing" : "'" + (value.length() > 80 ? value.substring(0, 80) + "…" : value) + "'";
    }
}
