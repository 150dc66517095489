package io.berrys.mesh.backup.postgres;

import io.berrys.mesh.backup.BackupConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One configured database: JDBC connections to it (or to another database on the same server) and the command
 * line of the PostgreSQL tools against it. The password travels in the tools' environment (PGPASSWORD), never on
 * their command line, where {@code ps} would show it.
 */
public final class PgServer {

    private final String name;
    private final BackupConfig.Database config;
    private final String binDir;

    public PgServer(String name, BackupConfig.Database config, String binDir) {
        this.name = name;
        this.config = config;
        this.binDir = binDir;
    }

    public String name() {
        return name;
    }

    public BackupConfig.Database config() {
        return config;
    }

    public Connection connect() throws SQLException {
        return connect(config.database());
    }

    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", config.user());
        config.password().ifPresent(password -> properties.setProperty("password", password));
        properties.setProperty("ApplicationName", "berrys-backup-service");
        return DriverManager.getConnection(
                "jdbc:postgresql://" + config.host() + ":" + config.port() + "/" + database, properties);
    }

    /** A PostgreSQL tool ({@code pg_dump}, {@code pg_restore}) with connection options for {@code database}. */
    public ProcessBuilder tool(String tool, String database, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(binDir == null ? tool : Path.of(binDir, tool).toString());
        command.add("--host=" + config.host());
        command.add("--port=" + config.port());
        command.add("--username=" + config.user());
        command.add("--no-password");
        command.add("--dbname=" + database);
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        config.password().ifPresent(password -> builder.environment().put("PGPASSWORD", password));
        builder.environment().remove("PGSERVICEFILE");
        return builder;
    }

    /** {@code pg_restore --list} and friends that only read an archive and connect nowhere. */
    public ProcessBuilder offlineTool(String tool, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(binDir == null ? tool : Path.of(binDir, tool).toString());
        command.addAll(arguments);
        return new ProcessBuilder(command);
    }

    public static String binDir(BackupConfig config) {
        return config.pgBin().filter(dir -> Files.isDirectory(Path.of(dir))).orElse(null);
    }

    /** Row counts of every ordinary table outside the system schemas, by {@code schema.table}. */
    public static Map<String, Long> rowCounts(Connection connection) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows =
                        statement.executeQuery("select quote_ident(table_schema) || '.' || quote_ident(table_name)"
                                + " from information_schema.tables where table_type = 'BASE TABLE'"
                                + " and table_schema not in ('pg_catalog', 'information_schema')"
                                + " and table_schema not like 'pg_toast%' order by 1")) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        Map<String, Long> counts = new TreeMap<>();
        for (String table : tables) {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("select count(*) from " + table)) {
                rows.next();
                counts.put(table, rows.getLong(1));
            }
        }
        return counts;
    }

    public static String serverVersion(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("show server_version")) {
            rows.next();
            return rows.getString(1);
        }
    }
}
