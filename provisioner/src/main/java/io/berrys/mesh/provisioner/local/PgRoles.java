package io.berrys.mesh.provisioner.local;

import static io.berrys.mesh.provisioner.local.Postgres.identifier;
import static io.berrys.mesh.provisioner.local.Postgres.literal;

import io.berrys.mesh.provisioner.local.Postgres.PostgresException;
import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Found;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.ResourceHandler;
import io.berrys.mesh.provisioner.provider.Scope;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * The role that owns an environment's database, logging in with the password of its Secret. The role, its tags and
 * the provisioner's membership (which lets it hand the role a database) are made in one transaction, so a crash
 * leaves either all of it or nothing.
 */
final class PgRoles implements ResourceHandler {

    private final Postgres postgres;
    private final KubeSecrets secrets;

    PgRoles(Postgres postgres, KubeSecrets secrets) {
        this.postgres = postgres;
        this.secrets = secrets;
    }

    @Override
    public Kind kind() {
        return Kind.PG_ROLE;
    }

    private record Row(String name, boolean login, long connectionLimit) {}

    private static final String PREFIX = "role:";

    /** Unlike the database's, so an environment's database and its role may share a name. */
    static String physicalId(String roleName) {
        return PREFIX + roleName;
    }

    static String roleName(String physicalId) {
        return physicalId.startsWith(PREFIX) ? physicalId.substring(PREFIX.length()) : physicalId;
    }

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT rolname, rolcanlogin, rolconnlimit, shobj_description(oid, 'pg_authid') AS tags"
                                + " FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE '{%'")) {
            while (rows.next()) {
                Row row = new Row(rows.getString(1), rows.getBoolean(2), rows.getLong(3));
                Found.of(
                                scope,
                                Postgres.tags(rows.getString(4)),
                                physicalId(row.name()),
                                row,
                                Map.of("name", row.name()))
                        .ifPresent(found::add);
            }
        } catch (SQLException e) {
            throw new PostgresException("listing the roles", e);
        }
        return found;
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Row row = (Row) found.raw();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", row.name());
        attributes.put("login", row.login());
        attributes.put("connectionLimit", row.connectionLimit());
        return attributes;
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String name = desired.text("name");
        String password = secrets.read(names.physical(desired.text("passwordSecret")), "password");
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("CREATE ROLE " + identifier(name) + (desired.flag("login") ? " LOGIN" : " NOLOGIN")
                    + " CONNECTION LIMIT " + desired.number("connectionLimit"));
            setPassword(connection, name, password);
            statement.execute("COMMENT ON ROLE " + identifier(name) + " IS "
                    + literal(Postgres.tagComment(scope, desired.id(), desired.protect())));
            statement.execute("GRANT " + identifier(name) + " TO CURRENT_USER");
            connection.commit();
        } catch (SQLException e) {
            if ("42710".equals(e.getSQLState())) {
                throw new IllegalStateException("role " + name + " exists and is not this environment's " + desired.id()
                        + " (its comment carries no tags); drop it or choose another database name");
            }
            throw new PostgresException("creating role " + name, e);
        }
        return new Created(physicalId(name), Map.of("name", name));
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        String role = identifier(roleName(actual.physicalId()));
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            for (AttributeChange change : changes) {
                switch (change.name()) {
                    case "login" ->
                        statement.execute("ALTER ROLE " + role + (desired.flag("login") ? " LOGIN" : " NOLOGIN"));
                    case "connectionLimit" ->
                        statement.execute(
                                "ALTER ROLE " + role + " CONNECTION LIMIT " + desired.number("connectionLimit"));
                    // Its Secret was made again (replaced, or deleted by hand): the role takes the new password.
                    case "passwordSecret" ->
                        setPassword(
                                connection,
                                roleName(actual.physicalId()),
                                secrets.read(names.physical(desired.text("passwordSecret")), "password"));
                    default -> throw new IllegalStateException("a role cannot change " + change.name() + " in place");
                }
            }
        } catch (SQLException e) {
            throw new PostgresException("changing role " + roleName(actual.physicalId()), e);
        }
    }

    /**
     * Sent hashed (SCRAM-SHA-256, computed by the driver), so the password is in no statement the server may log
     * ({@code log_statement = ddl}) and in no error message.
     */
    private static void setPassword(Connection connection, String role, String password) throws SQLException {
        connection.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
    }

    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP ROLE IF EXISTS " + identifier(roleName(actual.physicalId())));
        } catch (SQLException e) {
            throw new PostgresException("dropping role " + roleName(actual.physicalId()), e);
        }
    }
}
