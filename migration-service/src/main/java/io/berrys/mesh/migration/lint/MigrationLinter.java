package io.berrys.mesh.migration.lint;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.truncate.Truncate;

/**
 * Finds what a pending migration does that the old version, still serving during a blue-green rollout, cannot
 * live with: dropping a table or column, renaming, adding a NOT NULL column without a default to an existing
 * table, narrowing a column's type, and dropping or tightening constraints and defaults. Statements are parsed
 * (JSqlParser); one the parser cannot read is a finding too, so nothing passes unread.
 *
 * <p>A statement is allowed by a comment right above it: {@code -- mesh-lint: allow drop-column because the
 * column has been unused since 2.3 (reviewed by alice)}. The reason after {@code because} is required.
 */
public final class MigrationLinter {

    public static final String DROP_TABLE = "drop-table";
    public static final String DROP_COLUMN = "drop-column";
    public static final String RENAME = "rename";
    public static final String NOT_NULL_WITHOUT_DEFAULT = "not-null-without-default";
    public static final String NARROWING_TYPE = "narrowing-type";
    public static final String CONSTRAINT_CHANGE = "constraint-change";
    public static final String DROP_OBJECT = "drop-object";
    public static final String TRUNCATE = "truncate";
    public static final String UNREADABLE = "unreadable";

    private static final Pattern OVERRIDE =
            Pattern.compile("mesh-lint:\\s*allow\\s+([a-z-]+(?:\\s*,\\s*[a-z-]+)*)(?:\\s+because\\s+(.*))?");

    /** The live schema's column types, to tell a widening from a narrowing; keys are {@code table.column}. */
    public interface Columns {
        Optional<ColumnType> type(String table, String column);
    }

    /** A column's type as {@code information_schema.columns} reports it. */
    public record ColumnType(String dataType, Integer length, Integer precision, Integer scale) {}

    private final Columns columns;
    private final Set<String> createdInThisSet = new HashSet<>();

    public MigrationLinter(Columns columns) {
        this.columns = columns;
    }

    /** Lints the scripts in the order they will run; tables one creates are new to the ones after it. */
    public List<Finding> lint(Map<String, String> scriptsInOrder) {
        List<Finding> findings = new ArrayList<>();
        scriptsInOrder.forEach((file, sql) -> findings.addAll(lint(file, sql)));
        return findings;
    }

    List<Finding> lint(String file, String script) {
        List<Finding> findings = new ArrayList<>();
        for (SqlStatements.Statement statement : SqlStatements.split(script)) {
            List<String[]> problems = new ArrayList<>();
            try {
                inspect(CCJSqlParserUtil.parse(statement.sql()), problems);
            } catch (JSQLParserException e) {
                problems.add(new String[] {
                    UNREADABLE, "the linter cannot parse this statement; review it by hand and allow it"
                });
            }
            for (String[] problem : problems) {
                findings.add(new Finding(
                        file,
                        statement.line(),
                        problem[0],
                        problem[1],
                        excerpt(statement.sql()),
                        allowance(statement.leadingComments(), problem[0])));
            }
        }
        return findings;
    }

    private void inspect(Statement statement, List<String[]> problems) {
        if (statement instanceof CreateTable create) {
            // CREATE TABLE IF NOT EXISTS may meet a table the old version already uses: not new.
            if (!create.isIfNotExists()) {
                createdInThisSet.add(qualified(create.getTable()));
            }
        } else if (statement instanceof Drop drop && "TABLE".equalsIgnoreCase(drop.getType())) {
            if (!createdInThisSet.contains(qualified(drop.getName()))) {
                problems.add(
                        new String[] {DROP_TABLE, "drops table " + drop.getName() + ", which the old version reads"});
            }
        } else if (statement instanceof Drop drop && !"INDEX".equalsIgnoreCase(drop.getType())) {
            problems.add(new String[] {
                DROP_OBJECT,
                "drops " + drop.getType().toLowerCase(Locale.ROOT) + " " + drop.getName()
                        + ", which the old version may use"
            });
        } else if (statement instanceof Truncate truncate) {
            problems.add(new String[] {TRUNCATE, "empties " + truncate.getTable() + " under the old version"});
        } else if (statement instanceof Alter alter) {
            String table = unquote(alter.getTable().getName());
            if (createdInThisSet.contains(qualified(alter.getTable()))) {
                // The old version has never seen this table: nothing it does can break it.
                return;
            }
            for (AlterExpression expression : alter.getAlterExpressions()) {
                inspect(table, expression, problems);
            }
        }
    }

    private void inspect(String table, AlterExpression expression, List<String[]> problems) {
        AlterOperation operation = expression.getOperation();
        if (operation == AlterOperation.DROP && expression.getColumnName() != null) {
            problems.add(new String[] {
                DROP_COLUMN,
                "drops column " + table + "." + expression.getColumnName() + ", which the old version reads"
            });
        } else if (operation == AlterOperation.DROP && expression.getConstraintName() != null) {
            problems.add(new String[] {
                CONSTRAINT_CHANGE,
                "drops constraint " + expression.getConstraintName() + " on " + table
                        + ", which the old version may rely on"
            });
        } else if (operation == AlterOperation.RENAME || operation == AlterOperation.RENAME_TABLE) {
            String what = operation == AlterOperation.RENAME_TABLE
                    ? "table " + table + " to " + expression.getNewTableName()
                    : "column " + table + "." + expression.getColumnOldName() + " to " + expression.getColumnName();
            problems.add(new String[] {RENAME, "renames " + what + "; the old version still uses the old name"});
        } else if (operation == AlterOperation.ADD && expression.getColDataTypeList() != null) {
            for (AlterExpression.ColumnDataType column : expression.getColDataTypeList()) {
                String specs = String.join(" ", column.getColumnSpecs()).toUpperCase(Locale.ROOT);
                if (specs.contains("NOT NULL") && !specs.contains("DEFAULT")) {
                    problems.add(new String[] {
                        NOT_NULL_WITHOUT_DEFAULT,
                        "adds NOT NULL column " + table + "." + column.getColumnName()
                                + " without a default; the old version's inserts will fail"
                    });
                }
            }
        } else if (operation == AlterOperation.ADD && expression.getIndex() != null) {
            problems.add(new String[] {
                CONSTRAINT_CHANGE,
                "adds " + expression.getIndex() + " on " + table + "; rows the old version writes may violate it"
            });
        } else if (operation == AlterOperation.ALTER) {
            if (expression.getColumnDropDefaultList() != null
                    && !expression.getColumnDropDefaultList().isEmpty()) {
                problems.add(new String[] {
                    CONSTRAINT_CHANGE, "drops a default on " + table + "; the old version's inserts may rely on it"
                });
            }
            for (AlterExpression.ColumnDataType column :
                    Optional.ofNullable(expression.getColDataTypeList()).orElse(List.of())) {
                String type = String.valueOf(column.getColDataType());
                String specs = String.join(" ", column.getColumnSpecs()).toUpperCase(Locale.ROOT);
                if (type.equalsIgnoreCase("SET") && specs.startsWith("NOT NULL")) {
                    problems.add(new String[] {
                        CONSTRAINT_CHANGE,
                        "makes " + table + "." + column.getColumnName()
                                + " NOT NULL; the old version may still write nulls"
                    });
                } else if (column.getColDataType() != null && !type.equalsIgnoreCase("SET")) {
                    String verdict = TypeChange.judge(columns.type(table, column.getColumnName()), type);
                    if (verdict != null) {
                        problems.add(new String[] {
                            NARROWING_TYPE,
                            "changes " + table + "." + column.getColumnName() + " to " + type + ": " + verdict
                        });
                    }
                }
            }
        }
    }

    /** The reason of a reviewed override for {@code rule} among the comments above a statement, or null. */
    static String allowance(String comments, String rule) {
        Matcher matcher = OVERRIDE.matcher(comments);
        while (matcher.find()) {
            List<String> rules = List.of(matcher.group(1).split("\\s*,\\s*"));
            String reason = matcher.group(2) == null ? "" : matcher.group(2).strip();
            if (rules.contains(rule) && !reason.isEmpty()) {
                return reason;
            }
        }
        return null;
    }

    private static String excerpt(String sql) {
        String flat = sql.replaceAll("\\s+", " ").strip();
        return flat.length() > 200 ? flat.substring(0, 200) + "…" : flat;
    }

    private static String unquote(String name) {
        return name.replace("\"", "").toLowerCase(Locale.ROOT);
    }

    /** {@code schema.table}, {@code public} when unqualified (the schema the migrations run in). */
    private static String qualified(net.sf.jsqlparser.schema.Table table) {
        String schema = table.getSchemaName() == null ? "public" : unquote(table.getSchemaName());
        return schema + "." + unquote(table.getName());
    }
}
