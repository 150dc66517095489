package io.berrys.mesh.monitor.verification;

import java.util.List;

/** What a measured value must satisfy: an operator and a number, such as {@code < 0.05} or {@code == 1}. */
public record Condition(String operator, double threshold) {

    private static final List<String> OPERATORS = List.of("<=", ">=", "==", "!=", "<", ">");

    public static Condition parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        for (String operator : OPERATORS) {
            if (trimmed.startsWith(operator)) {
                String number = trimmed.substring(operator.length()).trim();
                try {
                    return new Condition(operator, Double.parseDouble(number));
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw new IllegalArgumentException(
                "condition must be an operator (<, <=, >, >=, ==, !=) and a number, e.g. '< 0.05'; got '" + text + "'");
    }

    public boolean holds(double value) {
        return switch (operator) {
            case "<" -> value < threshold;
            case "<=" -> value <= threshold;
            case ">" -> value > threshold;
            case ">=" -> value >= threshold;
            case "==" -> value == threshold;
            case "!=" -> value != threshold;
            default -> throw new IllegalStateException(operator);
        };
    }

    @Override
    public String toString() {
        return operator + " "
                + (threshold == Math.rint(threshold) ? Long.toString((long) threshold) : Double.toString(threshold));
    }
}
