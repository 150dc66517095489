package io.berrys.mesh.monitor.verification;

import io.berrys.mesh.events.catalog.Result;
import java.util.ArrayList;
import java.util.List;

/**
 * The running judgement of one check over a bake window, as Argo Rollouts' analysis judges: each measurement is a
 * success, a failure (the condition does not hold), inconclusive (no data) or an error (Prometheus did not answer).
 * More failures than the limit fail it at once; errors in a row past their limit fail it too; more inconclusive
 * measurements than their limit make it a warning.
 */
public final class Analysis {

    public enum Kind {
        SUCCESS,
        FAILURE,
        INCONCLUSIVE,
        ERROR
    }

    public record Measurement(Kind kind, Double value, String detail) {}

    private final String check;
    private final Condition condition;
    private final int failureLimit;
    private final int inconclusiveLimit;
    private final int consecutiveErrorLimit;
    private final List<Measurement> measurements = new ArrayList<>();
    private int failures;
    private int inconclusive;
    private int errorsInARow;

    public Analysis(
            String check, Condition condition, int failureLimit, int inconclusiveLimit, int consecutiveErrorLimit) {
        this.check = check;
        this.condition = condition;
        this.failureLimit = failureLimit;
        this.inconclusiveLimit = inconclusiveLimit;
        this.consecutiveErrorLimit = consecutiveErrorLimit;
    }

    /** Values of every series the query returned; empty when it returned none. */
    public Measurement measured(List<Double> values) {
        Measurement measurement;
        List<Double> numbers = values.stream().filter(value -> !value.isNaN()).toList();
        if (numbers.isEmpty()) {
            inconclusive++;
            measurement = new Measurement(Kind.INCONCLUSIVE, null, "no data");
        } else {
            Double violating = numbers.stream()
                    .filter(value -> !condition.holds(value))
                    .findFirst()
                    .orElse(null);
            if (violating != null) {
                failures++;
                measurement = new Measurement(Kind.FAILURE, violating, format(violating) + " is not " + condition);
            } else {
                double shown = numbers.get(0);
                measurement = new Measurement(Kind.SUCCESS, shown, format(shown) + " " + condition);
            }
        }
        errorsInARow = 0;
        measurements.add(measurement);
        return measurement;
    }

    public Measurement failedToMeasure(String error) {
        errorsInARow++;
        Measurement measurement = new Measurement(Kind.ERROR, null, error);
        measurements.add(measurement);
        return measurement;
    }

    /** True once no further measurement can change the outcome. */
    public boolean decided() {
        return failures > failureLimit || errorsInARow > consecutiveErrorLimit;
    }

    public Result result() {
        if (failures > failureLimit || errorsInARow > consecutiveErrorLimit) {
            return Result.FAIL;
        }
        long measuredOk =
                measurements.stream().filter(m -> m.kind() == Kind.SUCCESS).count();
        if (inconclusive > inconclusiveLimit || measuredOk == 0) {
            return Result.WARNING;
        }
        return Result.PASS;
    }

    public String summary() {
        Result result = result();
        String counts = measurements.size() + " measurements: " + count(Kind.SUCCESS) + " ok, " + failures + " failed, "
                + inconclusive + " without data, " + count(Kind.ERROR) + " errors";
        String last = measurements.isEmpty()
                ? ""
                : "; last: " + measurements.get(measurements.size() - 1).detail();
        String verdict = switch (result) {
            case PASS -> "passed";
            case FAIL -> errorsInARow > consecutiveErrorLimit ? "could not be measured" : "failed";
            case WARNING -> "inconclusive";
        };
        return check + " " + verdict + " (" + counts + last + ")";
    }

    public List<Measurement> measurements() {
        return List.copyOf(measurements);
    }

    private long count(Kind kind) {
        return measurements.stream().filter(m -> m.kind() == kind).count();
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value)
                : String.format(java.util.Locale.ROOT, "%.4g", value);
    }
}
