package io.berrys.mesh.provisioner.spec;

import java.util.List;
import java.util.stream.Collectors;

/** A spec that breaks rules: all of them are named, so one edit can fix them together. */
public class SpecInvalidException extends RuntimeException {

    private final String source;
    private final List<Violation> violations;

    public SpecInvalidException(String source, List<Violation> violations) {
        super(source + " is not a valid environment spec:\n"
                + violations.stream().map(v -> "  " + v).collect(Collectors.joining("\n")));
        this.source = source;
        this.violations = List.copyOf(violations);
    }

    public String source() {
        return source;
    }

    public List<Violation> violations() {
        return violations;
    }
}
