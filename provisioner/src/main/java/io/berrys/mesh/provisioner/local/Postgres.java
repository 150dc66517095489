package io.berrys.mesh.provisioner.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * The local PostgreSQL server, reached as a role that may create roles and databases (never a superuser). A role's
 * or database's tags are its comment, as JSON: PostgreSQL has no labels, and a comment travels with the object.
 */
public final class Postgres {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;

    /**
     * @param database the one it connects to for its work ({@code postgres}); the ones it makes are never used to
     *     connect, so dropping one never has to wait for this connection
     */
    public Postgres(String host, int port, String database, String user, String password) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** A connection of its own for each step: the steps of a wave run in parallel. */
    Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("socketTimeout", "60");
        properties.setProperty("ApplicationName", "mesh-provisioner");
        Connection connection = new org.postgresql.Driver()
                .connect("jdbc:postgresql://" + host + ":" + port + "/" + database, properties);
        if (connection == null) {
            throw new SQLException("the PostgreSQL driver refused the URL for " + host + ":" + port);
        }
        return connection;
    }

    /** What a statement on this server throws, with the server's own message (it names the object). */
    static final class PostgresException extends RuntimeException {
        final String sqlState;

        PostgresException(String doing, SQLException cause) {
            super(doing + ": " + cause.getMessage(), cause);
            this.sqlState = cause.getSQLState() == null ? "" : cause.getSQLState();
        }

        /** Connection failures (08...), too many connections, shutdown, serialization and deadlock. */
        boolean passing() {
            return sqlState.startsWith("08")
                    || sqlState.equals("53300")
                    || sqlState.startsWith("57P")
                    || sqlState.equals("40001")
                    || sqlState.equals("40P01");
        }
    }

    static String identifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    static String tagComment(Scope scope, String logicalId, boolean protect) {
        try {
            return JSON.writeValueAsString(Tags.of(scope.environment(), logicalId, protect));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tags a comment holds; none for a comment someone else wrote. */
    static Map<String, String> tags(String comment) {
        if (comment == null || !comment.startsWith("{")) {
            return Map.of();
        }
        try {
            return JSON.readValue(comment, new TypeReference<Map<String, String>>() {});
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
