package io.berrys.mesh.migration.lint;

/**
 * A statement that would break the version still running during a blue-green rollout. {@code allowedBecause} is
 * the reason of a reviewed override comment, or null.
 */
public record Finding(String file, int line, String rule, String message, String statement, String allowedBecause) {

    public boolean allowed() {
        return allowedBecause != null;
    }

    /** {@code V3__x.sql:12 drop-column: ...}, as the finished event lists it. */
    public String describe() {
        return file + ":" + line + " " + rule + ": " + message
                + (allowed() ? " (allowed: " + allowedBecause + ")" : "");
    }
}
