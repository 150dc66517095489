package io.berrys.mesh.coordinator.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks a release to publish, from the API or the stream; every problem is reported at once. */
public final class PublishValidation {

    /** The rules as regular expressions, anchored, so that the API document states exactly what is checked. */
    static final String SERVICE_RULE = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    static final String VERSION_RULE = "^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$";
    /** registry/path/name with a tag, a digest, or both (the OCI reference grammar, simplified). */
    static final String IMAGE_RULE = "^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
            + "(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$";

    static final String DATABASE_RULE = "^[a-z][a-z0-9_-]{0,62}$";

    /** What the release store keeps (varchar(512)), and bounds on the rest, so that one event stays small. */
    static final int MAX_IMAGE = 512;

    static final int MAX_DATABASES = 16;
    static final int MAX_MIGRATIONS = 1024;

    private static final Pattern SERVICE = Pattern.compile(SERVICE_RULE);
    private static final Pattern VERSION = Pattern.compile(VERSION_RULE);
    private static final Pattern IMAGE = Pattern.compile(IMAGE_RULE);
    private static final Pattern DATABASE = Pattern.compile(DATABASE_RULE);

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
        problems.addAll(problems(request.service(), request.version(), request.image(), request.databases()));
        if (request.migrations() != null && ApiError.characters(request.migrations()) > MAX_MIGRATIONS) {
            problems.add("migrations must be at most " + MAX_MIGRATIONS + " characters");
        }
        return problems;
    }

    /** What is wrong with the parts of a release that name what is deployed (the environment is checked apart). */
    public static List<String> problems(String service, String version, String image, List<String> databases) {
        List<String> problems = new ArrayList<>();
        if (service == null || !SERVICE.matcher(service).matches()) {
            problems.add("service must be a DNS label (lower-case letters, digits, '-'), got " + quote(service));
        }
        if (version == null || !VERSION.matcher(version).matches()) {
            problems.add("version must be letters, digits, '.', '_', '+' or '-', got " + quote(version));
        }
        if (image != null && image.length() > MAX_IMAGE) {
            problems.add("image must be at most " + MAX_IMAGE + " characters, got " + image.length());
        } else if (image == null || !IMAGE.matcher(image).matches()) {
            problems.add("image must be a reference with a tag or digest (registry/name:tag), got " + quote(image));
        }
        if (databases != null && databases.size() > MAX_DATABASES) {
            problems.add("a release names at most " + MAX_DATABASES + " databases, got " + databases.size());
        } else if (databases != null) {
            for (String database : databases) {
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
