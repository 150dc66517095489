package io.berrys.mesh.coordinator.store;

import io.vertx.mutiny.sqlclient.Tuple;
import java.lang.reflect.Array;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Rows turned into one array per column, for statements over {@code unnest($1, $2, ...)}: one statement writes any
 * number of rows, where a batch executes the statement once per row (a rebuild writes thousands per page).
 */
final class ColumnArrays {

    /** A column's SQL type for the cast in the statement, and the Java array the client sends it as. */
    enum Type {
        TEXT("text", String.class),
        INT("int4", Integer.class),
        BIGINT("int8", Long.class),
        BOOL("bool", Boolean.class),
        TIMESTAMPTZ("timestamptz", OffsetDateTime.class);

        final String sql;
        final Class<?> element;

        Type(String sql, Class<?> element) {
            this.sql = sql;
            this.element = element;
        }
    }

    private ColumnArrays() {}

    /** {@code unnest($first::type[], ...)} for these columns, parameters numbered from {@code first}. */
    static String unnest(List<Type> types) {
        StringBuilder sql = new StringBuilder("unnest(");
        for (int column = 0; column < types.size(); column++) {
            sql.append(column == 0 ? "" : ", ")
                    .append('$')
                    .append(column + 1)
                    .append("::")
                    .append(types.get(column).sql)
                    .append("[]");
        }
        return sql.append(')').toString();
    }

    /** The column names, comma-separated, for {@code as u(...)}. */
    static String names(String columns) {
        return List.of(columns.split(",")).stream().map(String::trim).collect(Collectors.joining(", "));
    }

    /** One array per column of {@code rows}, in column order. */
    static Tuple of(List<Tuple> rows, List<Type> types) {
        Tuple arrays = Tuple.tuple();
        for (int column = 0; column < types.size(); column++) {
            Object values = Array.newInstance(types.get(column).element, rows.size());
            for (int row = 0; row < rows.size(); row++) {
                Array.set(values, row, rows.get(row).getValue(column));
            }
            arrays.addValue(values);
        }
        return arrays;
    }
}
