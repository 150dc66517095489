package io.berrys.mesh.migration.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MigrationLinterTest {

    private static final MigrationLinter.Columns SCHEMA = (table, column) -> switch (table + "." + column) {
        case "agents.name" -> Optional.of(new MigrationLinter.ColumnType("character varying", 100, null, null));
        case "agents.id" -> Optional.of(new MigrationLinter.ColumnType("integer", null, 32, 0));
        case "agents.score" -> Optional.of(new MigrationLinter.ColumnType("numeric", null, 10, 2));
        default -> Optional.empty();
    };

    private static List<Finding> lint(String script) {
        return new MigrationLinter(SCHEMA).lint("V7__change.sql", script);
    }

    @Test
    void eachDestructivePatternIsFoundWithItsLine() {
        List<Finding> findings = lint("""
                -- a careless migration
                DROP TABLE legacy_tasks;
                ALTER TABLE agents DROP COLUMN legacy;
                ALTER TABLE agents RENAME COLUMN name TO title;
                ALTER TABLE agents RENAME TO bots;
                ALTER TABLE agents ADD COLUMN owner text NOT NULL;
                ALTER TABLE agents ALTER COLUMN name TYPE varchar(20);
                ALTER TABLE agents ALTER COLUMN id TYPE smallint;
                ALTER TABLE agents ALTER COLUMN name SET NOT NULL;
                ALTER TABLE agents ALTER COLUMN name DROP DEFAULT;
                ALTER TABLE agents DROP CONSTRAINT agents_pkey;
                ALTER TABLE agents ADD CONSTRAINT positive CHECK (id > 0);
                """);

        assertThat(findings)
                .extracting(finding -> finding.line() + " " + finding.rule())
                .containsExactly(
                        "2 drop-table",
                        "3 drop-column",
                        "4 rename",
                        "5 rename",
                        "6 not-null-without-default",
                        "7 narrowing-type",
                        "8 narrowing-type",
                        "9 constraint-change",
                        "10 constraint-change",
                        "11 constraint-change",
                        "12 constraint-change");
        assertThat(findings).allMatch(finding -> finding.file().equals("V7__change.sql") && !finding.allowed());
        assertThat(findings.get(5).message()).contains("shortens it from 100 to 20 characters");
        assertThat(findings.get(6).message()).contains("narrows integer to smallint");
        assertThat(findings.get(0).describe()).startsWith("V7__change.sql:2 drop-table: drops table legacy_tasks");
    }

    @Test
    void safeChangesPass() {
        assertThat(lint("""
                CREATE TABLE tasks (id bigint PRIMARY KEY, title text NOT NULL);
                ALTER TABLE tasks ADD COLUMN owner text NOT NULL;
                ALTER TABLE agents ADD COLUMN note text;
                ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';
                ALTER TABLE agents ALTER COLUMN name TYPE varchar(200);
                ALTER TABLE agents ALTER COLUMN name TYPE text;
                ALTER TABLE agents ALTER COLUMN id TYPE bigint;
                ALTER TABLE agents ALTER COLUMN score TYPE numeric(12,2);
                ALTER TABLE agents ALTER COLUMN name DROP NOT NULL;
                CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
                BEGIN NEW.updated := now(); RETURN NEW; END; -- semicolons inside the body
                $$ LANGUAGE plpgsql;
                INSERT INTO agents (name) VALUES ('a;b');
                """)).isEmpty();
    }

    @Test
    void aReviewedOverrideAllowsAFindingButOneWithoutAReasonDoesNot() {
        List<Finding> findings = lint("""
                -- mesh-lint: allow drop-column because legacy has been unused since 2.3 (reviewed by alice)
                ALTER TABLE agents DROP COLUMN legacy;
                -- mesh-lint: allow drop-table
                DROP TABLE old_runs;
                """);

        assertThat(findings).hasSize(2);
        assertThat(findings.get(0).allowed()).isTrue();
        assertThat(findings.get(0).allowedBecause()).isEqualTo("legacy has been unused since 2.3 (reviewed by alice)");
        assertThat(findings.get(0).describe())
                .endsWith("(allowed: legacy has been unused since 2.3 (reviewed by alice))");
        assertThat(findings.get(1).allowed()).isFalse();
    }

    @Test
    void droppingOtherObjectsAndTruncatingAreFindingsButIndexesAreNot() {
        List<Finding> findings = lint("""
                DROP VIEW active_agents;
                DROP SCHEMA reporting CASCADE;
                TRUNCATE tasks;
                DROP INDEX agents_name;
                """);

        assertThat(findings).extracting(Finding::rule).containsExactly("drop-object", "drop-object", "truncate");
    }

    @Test
    void aTableCreatedIfNotExistsOrInAnotherSchemaIsNotNew() {
        List<Finding> findings = lint("""
                CREATE TABLE IF NOT EXISTS agents (id bigint PRIMARY KEY);
                ALTER TABLE agents DROP COLUMN legacy;
                CREATE TABLE audit.tasks (id bigint PRIMARY KEY);
                ALTER TABLE tasks DROP COLUMN legacy;
                """);

        assertThat(findings).extracting(Finding::rule).containsExactly("drop-column", "drop-column");
    }

    @Test
    void aStatementTheParserCannotReadIsAFindingNotAPass() {
        List<Finding> findings = lint("CREATE INDEX CONCURRENTLY agents_name ON agents (name);");

        assertThat(findings).singleElement().satisfies(finding -> {
            assertThat(finding.rule()).isEqualTo("unreadable");
            assertThat(finding.message()).contains("review it by hand");
        });
    }

    @Test
    void tablesCreatedByAnEarlierScriptOfTheSetAreNew() {
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("V1__runs.sql", "CREATE TABLE runs (id bigint PRIMARY KEY);");
        scripts.put(
                "V2__owner.sql", "ALTER TABLE runs ADD COLUMN owner text NOT NULL; ALTER TABLE runs DROP COLUMN id;");

        assertThat(new MigrationLinter(SCHEMA).lint(scripts)).isEmpty();
    }

    @Test
    void statementsKeepTheirLinesAcrossCommentsQuotesAndDollarBodies() {
        List<SqlStatements.Statement> statements = SqlStatements.split("""
                /* header
                   spanning lines */
                SELECT 'it''s; fine';
                -- note
                CREATE FUNCTION f() RETURNS int AS $body$
                  SELECT 1;
                $body$ LANGUAGE sql;

                SELECT "odd;name" FROM t
                """);

        assertThat(statements).extracting(SqlStatements.Statement::line).containsExactly(3, 5, 9);
        assertThat(statements.get(1).leadingComments()).contains("-- note");
        assertThat(statements.get(2).sql()).isEqualTo("SELECT \"odd;name\" FROM t");
    }
}
