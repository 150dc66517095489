package io.berrys.mesh.migration;

import io.berrys.mesh.events.catalog.MigrationTriggered;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.migration.lint.Finding;
import io.berrys.mesh.migration.lint.MigrationLinter;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;
import org.flywaydb.core.internal.sqlscript.FlywaySqlScriptException;
import org.jboss.logging.Logger;

/**
 * One migration run: Flyway validate (applied scripts unchanged), lint of the pending scripts, proof of a verified
 * backup for this release, then Flyway migrate (PostgreSQL advisory lock, a transaction per script) and validate
 * again. Two runs at once serialise on Flyway's lock; the second finds nothing pending.
 */
@ApplicationScoped
public class MigrationEngine {

    private static final Logger LOG = Logger.getLogger(MigrationEngine.class);

    private final MigrationConfig config;
    private final MigrationSets sets;
    private final BackupEvidence backups;

    public MigrationEngine(MigrationConfig config, MigrationSets sets, BackupEvidence backups) {
        this.config = config;
        this.sets = sets;
        this.backups = backups;
    }

    public TaskFinished migrate(String releaseId, MigrationTriggered request, Consumer<String> progress)
            throws MigrationFailed {
        MigrationConfig.Database database = config.databases().get(request.database());
        if (database == null) {
            throw new MigrationFailed("unknown database '" + request.database() + "'; configured: "
                    + config.databases().keySet());
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("database", request.database());
        details.put("migrationSet", request.migrationSet());
        long started = System.nanoTime();
        try (MigrationSets.Resolved set = sets.resolve(request.migrationSet())) {
            Flyway pendingIgnored = flyway(database, set.location(), true);
            ValidateResult validation = validate(pendingIgnored);
            if (!validation.validationSuccessful) {
                throw new MigrationFailed("validation failed: " + describe(validation.invalidMigrations), details);
            }
            MigrationInfo[] pending = pending(pendingIgnored);
            if (pending.length == 0) {
                details.put("applied", List.of());
                details.put("schemaVersion", currentVersion(pendingIgnored));
                return new TaskFinished(
                        "migration",
                        Result.PASS,
                        request.database() + " is up to date at version " + currentVersion(pendingIgnored)
                                + "; nothing to migrate",
                        details);
            }
            progress.accept(pending.length + " pending migration(s): linting");

            List<Finding> findings = lint(database, set, pending);
            details.put("findings", findings.stream().map(Finding::describe).toList());
            List<Finding> blocking =
                    findings.stream().filter(finding -> !finding.allowed()).toList();
            boolean failOnFindings = !"warn".equals(lintPolicy(request.environment()));
            if (!blocking.isEmpty() && failOnFindings) {
                throw new MigrationFailed(
                        "the lint found " + blocking.size() + " change(s) the running version cannot live with: "
                                + String.join(
                                        "; ",
                                        blocking.stream().map(Finding::describe).toList())
                                + " (allow a reviewed one with '-- mesh-lint: allow <rule> because <reason>')",
                        details);
            }

            Optional<String> backup = backups.verifiedBackup(releaseId, request.database());
            if (backup.isEmpty()) {
                throw new MigrationFailed(
                        "refusing to migrate " + request.database() + ": release " + releaseId
                                + " has no verified backup of it (a passed mesh.backup.finished with verified=true); the"
                                + " pipeline must run backup before migration",
                        details);
            }
            details.put("backup", backup.get());
            progress.accept("verified backup " + backup.get() + "; migrating");

            MigrateResult result;
            try {
                result = flyway(database, set.location(), false).migrate();
            } catch (FlywayException e) {
                String version = safeCurrentVersion(pendingIgnored);
                details.put("schemaVersion", version);
                throw new MigrationFailed(failure(e) + "; the schema stays at version " + version, details);
            }
            Flyway strict = flyway(database, set.location(), false);
            ValidateResult after = validate(strict);
            if (!after.validationSuccessful) {
                throw new MigrationFailed(
                        "migrated, but validation afterwards failed: " + describe(after.invalidMigrations), details);
            }
            List<String> applied = new ArrayList<>();
            Map<String, Integer> durations = new LinkedHashMap<>();
            for (MigrateOutput output : result.migrations) {
                applied.add(output.version);
                durations.put(output.version, output.executionTime);
            }
            String version = currentVersion(strict);
            details.put("applied", applied);
            details.put("durationsMs", durations);
            details.put("schemaVersion", version);
            details.put("totalMs", (System.nanoTime() - started) / 1_000_000);
            String message = applied.isEmpty()
                    ? request.database() + " was migrated meanwhile by another run; it is at version " + version
                    : "applied " + String.join(", ", applied) + " to " + request.database() + "; schema version "
                            + version;
            boolean warned = !blocking.isEmpty();
            if (warned) {
                message += "; lint warnings: "
                        + String.join(
                                "; ", blocking.stream().map(Finding::describe).toList());
            }
            LOG.info(message);
            return new TaskFinished("migration", warned ? Result.WARNING : Result.PASS, message, details);
        }
    }

    private String lintPolicy(String environment) {
        return Optional.ofNullable(config.environments().get(environment))
                .flatMap(MigrationConfig.Environment::lint)
                .orElse(config.lint());
    }

    private List<Finding> lint(MigrationConfig.Database database, MigrationSets.Resolved set, MigrationInfo[] pending)
            throws MigrationFailed {
        Map<String, String> scripts = new LinkedHashMap<>();
        for (MigrationInfo info : pending) {
            try {
                scripts.put(info.getScript(), set.reader().read(info.getScript()));
            } catch (IOException e) {
                throw new MigrationFailed("cannot read " + info.getScript() + ": " + e.getMessage());
            }
        }
        try (Connection connection = connect(database)) {
            return new MigrationLinter((table, column) -> columnType(connection, table, column)).lint(scripts);
        } catch (SQLException e) {
            throw new MigrationFailed("cannot read the schema of " + database.database() + ": " + e.getMessage());
        }
    }

    private static Optional<MigrationLinter.ColumnType> columnType(Connection connection, String table, String column) {
        try (PreparedStatement query = connection.prepareStatement("select data_type, character_maximum_length,"
                + " numeric_precision, numeric_scale from information_schema.columns"
                + " where table_schema = any (current_schemas(false)) and table_name = ? and column_name = ?")) {
            query.setString(1, table);
            query.setString(2, column.replace("\"", "").toLowerCase());
            try (ResultSet rows = query.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new MigrationLinter.ColumnType(
                        rows.getString(1), (Integer) rows.getObject(2), (Integer) rows.getObject(3), (Integer)
                                rows.getObject(4)));
            }
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private static ValidateResult validate(Flyway flyway) throws MigrationFailed {
        try {
            return flyway.validateWithResult();
        } catch (FlywayException e) {
            throw new MigrationFailed("validation could not run: " + e.getMessage());
        }
    }

    private static String describe(List<ValidateOutput> invalid) {
        List<String> lines = new ArrayList<>();
        for (ValidateOutput output : invalid) {
            String what = output.filepath == null || output.filepath.isBlank()
                    ? "version " + output.version + " (" + output.description + ")"
                    : output.filepath;
            lines.add(what + ": " + (output.errorDetails == null ? "invalid" : output.errorDetails.errorMessage));
        }
        return String.join("; ", lines);
    }

    /** Which script and statement failed, in words. */
    private static String failure(FlywayException e) {
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof FlywaySqlScriptException script) {
                return "migration " + script.getResource().getFilename() + " failed at line " + script.getLineNumber()
                        + " (" + oneLine(script.getStatement()) + "): " + sqlMessage(script);
            }
            cause = cause.getCause();
        }
        if (e instanceof FlywayMigrateException migrate && migrate.getMigration() != null) {
            return "migration " + migrate.getMigration().getScript() + " failed: " + oneLine(e.getMessage());
        }
        return "migration failed: " + oneLine(e.getMessage());
    }

    private static String sqlMessage(FlywaySqlScriptException e) {
        Throwable cause = e.getCause();
        return cause instanceof SQLException sql ? oneLine(sql.getMessage()) : oneLine(e.getMessage());
    }

    private static String oneLine(String text) {
        String flat = text == null ? "" : text.replaceAll("\\s+", " ").strip();
        return flat.length() > 300 ? flat.substring(0, 300) + "…" : flat;
    }

    private static MigrationInfo[] pending(Flyway flyway) throws MigrationFailed {
        try {
            return flyway.info().pending();
        } catch (FlywayException e) {
            throw new MigrationFailed("cannot read the migration history: " + oneLine(e.getMessage()));
        }
    }

    private static String safeCurrentVersion(Flyway flyway) {
        try {
            return currentVersion(flyway);
        } catch (FlywayException e) {
            return "unknown (the history could not be read: " + oneLine(e.getMessage()) + ")";
        }
    }

    private static String currentVersion(Flyway flyway) {
        MigrationInfo current = flyway.info().current();
        return current == null || current.getVersion() == null
                ? "none"
                : current.getVersion().getVersion();
    }

    private Flyway flyway(MigrationConfig.Database database, String location, boolean ignorePending) {
        var configuration = Flyway.configure()
                .dataSource(url(database), database.user(), database.password().orElse(null))
                .locations(location)
                .cleanDisabled(true)
                .validateMigrationNaming(true)
                .group(false)
                .mixed(false)
                .connectRetries(3)
                // A second run waits for the first (up to an hour) instead of failing after Flyway's 50 s.
                .lockRetryCount(3_600)
                // A session lock, not a transaction's: CREATE INDEX CONCURRENTLY would wait forever for the latter.
                .configuration(Map.of("flyway.postgresql.transactional.lock", "false"));
        if (ignorePending) {
            configuration.ignoreMigrationPatterns("*:pending");
        }
        return configuration.load();
    }

    private static String url(MigrationConfig.Database database) {
        return "jdbc:postgresql://" + database.host() + ":" + database.port() + "/" + database.database();
    }

    private static Connection connect(MigrationConfig.Database database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", database.user());
        database.password().ifPresent(password -> properties.setProperty("password", password));
        return DriverManager.getConnection(url(database), properties);
    }
}
