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
import io.berrys.mesh.provisioner.provider.Tags;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An environment's database in the local PostgreSQL, owned by its role. CREATE DATABASE cannot share a transaction
 * with its comment, so a crash between the two leaves an untagged database: the next create finds it by name and
 * finishes it, when its owner is the environment's own role.
 */
final class PgDatabases implements ResourceHandler {

    private final Postgres postgres;

    PgDatabases(Postgres postgres) {
        this.postgres = postgres;
    }

    @Override
    public Kind kind() {
        return Kind.PG_DATABASE;
    }

    private record Row(String name, String owner, long connectionLimit) {}

    private static final String SELECT = "SELECT datname, pg_get_userbyid(datdba), datconnlimit,"
            + " shobj_description(oid, 'pg_database') FROM pg_database";

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement();
                ResultSet rows =
                        statement.executeQuery(SELECT + " WHERE shobj_description(oid, 'pg_database') LIKE '{%'")) {
            while (rows.next()) {
                Row row = new Row(rows.getString(1), rows.getString(2), rows.getLong(3));
                Found.of(scope, Postgres.tags(rows.getString(4)), row.name(), row, outputs(row.name()))
                        .ifPresent(found::add);
            }
        } catch (SQLException e) {
            throw new PostgresException("listing the databases", e);
        }
        return found;
    }

    private Map<String, String> outputs(String name) {
        return Map.of("name", name, "host", postgres.host(), "port", Integer.toString(postgres.port()));
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Row row = (Row) found.raw();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", row.name());
        attributes.put("owner", names.logical(PgRoles.physicalId(row.owner())));
        attributes.put("connectionLimit", row.connectionLimit());
        return attributes;
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String name = desired.text("name");
        String owner = PgRoles.roleName(names.physical(desired.text("owner")));
        String comment = Postgres.tagComment(scope, desired.id(), desired.protect());
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            try {
                statement.execute("CREATE DATABASE " + identifier(name) + " OWNER " + identifier(owner)
                        + " CONNECTION LIMIT " + desired.number("connectionLimit"));
            } catch (SQLException e) {
                if (!"42P04".equals(e.getSQLState())) {
                    throw e;
                }
                Row existing = existing(connection, name);
                if (existing == null || !existing.owner().equals(owner) || tagged(connection, name)) {
                    throw new IllegalStateException("database " + name + " exists and is not this environment's "
                            + desired.id() + "; drop it or choose another database name");
                }
                progress.report("database " + name + " was created by an earlier run that did not finish: tagging it");
            }
            statement.execute("COMMENT ON DATABASE " + identifier(name) + " IS " + literal(comment));
        } catch (SQLException e) {
            throw new PostgresException("creating database " + name, e);
        }
        return new Created(name, outputs(name));
    }

    private static Row existing(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SELECT + " WHERE datname = ?")) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? new Row(rows.getString(1), rows.getString(2), rows.getLong(3)) : null;
            }
        }
    }

    private static boolean tagged(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ?")) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && Postgres.tags(rows.getString(1)).containsKey(Tags.ENVIRONMENT);
            }
        }
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        String database = identifier(actual.physicalId());
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            for (AttributeChange change : changes) {
                switch (change.name()) {
                    case "connectionLimit" ->
                        statement.execute("ALTER DATABASE " + database + " CONNECTION LIMIT "
                                + desired.number("connectionLimit"));
                    case "owner" ->
                        statement.execute("ALTER DATABASE " + database + " OWNER TO "
                                + identifier(PgRoles.roleName(names.physical(desired.text("owner")))));
                    default ->
                        throw new IllegalStateException("a database cannot change " + change.name() + " in place");
                }
            }
        } catch (SQLException e) {
            throw new PostgresException("changing database " + actual.physicalId(), e);
        }
    }

    /** With its sessions ended: a destroy that waited for every client to leave would never finish. */
    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + identifier(actual.physicalId()) + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new PostgresException("dropping database " + actual.physicalId(), e);
        }
    }
}
