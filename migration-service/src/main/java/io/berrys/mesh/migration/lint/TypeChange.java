package io.berrys.mesh.migration.lint;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Whether changing a column's type keeps every value the old version writes; PostgreSQL's common types. */
final class TypeChange {

    private static final Pattern WITH_SIZE = Pattern.compile("([a-z ]+?)\\s*\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\)");

    private TypeChange() {}

    /** Null when the change only widens; otherwise why it may not. */
    static String judge(Optional<MigrationLinter.ColumnType> current, String newType) {
        if (current.isEmpty()) {
            return "the column's current type is unknown, so the change cannot be shown to only widen it";
        }
        MigrationLinter.ColumnType from = current.get();
        String target = newType.toLowerCase(Locale.ROOT).strip();
        Integer size = null;
        Integer scale = null;
        Matcher sized = WITH_SIZE.matcher(target);
        if (sized.matches()) {
            target = sized.group(1).strip();
            size = Integer.valueOf(sized.group(2));
            scale = sized.group(3) == null ? null : Integer.valueOf(sized.group(3));
        }
        String to = canonical(target);
        String was = canonical(from.dataType());
        if (to.equals("text") && (was.equals("varchar") || was.equals("text") || was.equals("char"))) {
            return null;
        }
        if (to.equals("varchar") && was.equals("varchar")) {
            if (size == null || (from.length() != null && size >= from.length())) {
                return null;
            }
            return "shortens it from " + from.length() + " to " + size + " characters";
        }
        if (to.equals("varchar") && was.equals("text")) {
            return size == null ? null : "limits text to " + size + " characters";
        }
        int toRank = integerRank(to);
        int wasRank = integerRank(was);
        if (toRank > 0 && wasRank > 0) {
            return toRank >= wasRank ? null : "narrows " + was + " to " + to;
        }
        if (to.equals("numeric") && was.equals("numeric")) {
            if (size == null || from.precision() == null) {
                return null;
            }
            int oldScale = from.scale() == null ? 0 : from.scale();
            int newScale = scale == null ? 0 : scale;
            if (size - newScale >= from.precision() - oldScale && newScale >= oldScale) {
                return null;
            }
            return "narrows numeric(" + from.precision() + "," + oldScale + ") to numeric(" + size + "," + newScale
                    + ")";
        }
        if (to.equals(was) && size == null) {
            return null;
        }
        return "changes " + from.dataType() + " to " + newType + ", which may not hold every existing value";
    }

    private static String canonical(String type) {
        return switch (type.toLowerCase(Locale.ROOT).strip()) {
            case "character varying", "varchar" -> "varchar";
            case "character", "char", "bpchar" -> "char";
            case "int", "integer", "int4" -> "integer";
            case "bigint", "int8" -> "bigint";
            case "smallint", "int2" -> "smallint";
            case "decimal", "numeric" -> "numeric";
            default -> type.toLowerCase(Locale.ROOT).strip();
        };
    }

    private static int integerRank(String type) {
        return switch (type) {
            case "smallint" -> 1;
            case "integer" -> 2;
            case "bigint" -> 3;
            default -> 0;
        };
    }
}
