package io.berrys.mesh.events.catalog;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Outcome of a finished task: pass and warning let the pipeline continue, fail stops it. */
public enum Result {
    PASS,
    WARNING,
    FAIL;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Result fromWire(String value) {
        for (Result result : values()) {
            if (result.wire().equals(value)) {
                return result;
            }
        }
        throw new IllegalArgumentException("result must be one of pass, warning, fail; got '" + value + "'");
    }
}
