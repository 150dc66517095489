package io.berrys.mesh.events.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find their servers: the ones {@code deploy/local/servers.sh} started, or any given through
 * {@code MESH_REDIS_URL}. A missing server fails the test with the command that starts it; nothing is skipped.
 */
public final class LocalServers {

    public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6390";

    private LocalServers() {}

    public static String redisUrl() {
        String url = System.getProperty("mesh.redis.url", System.getenv("MESH_REDIS_URL"));
        return url == null || url.isBlank() ? DEFAULT_REDIS_URL : url;
    }

    /** The Redis URL, after checking that something answers there. */
    public static String requireRedis() {
        String url = redisUrl();
        URI uri = URI.create(url);
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), 2_000);
        } catch (IOException e) {
            throw new IllegalStateException("Redis is not reachable at " + url + " (" + e.getMessage() + ")."
                    + " Start it with 'deploy/local/servers.sh start redis', or point MESH_REDIS_URL at a running"
                    + " server. deploy/local/test.sh does both for you.");
        }
        return url;
    }

    /** The Redis user the tests connect as: MESH_REDIS_USER, or null for the default user (the local admin). */
    public static String redisUser() {
        String user = System.getenv("MESH_REDIS_USER");
        return user == null || user.isBlank() ? null : user.strip();
    }

    /**
     * The password of {@link #redisUser()}: MESH_REDIS_PASSWORD, or for the Redis {@code deploy/local/servers.sh}
     * runs, the admin password it keeps in {@code .mesh-local/redis-<port>/secrets/default}; null when neither
     * exists (a Redis without ACLs).
     */
    public static String redisPassword() {
        String password = System.getenv("MESH_REDIS_PASSWORD");
        if (password != null && !password.isBlank()) {
            return password.strip();
        }
        return localRedisSecret("default");
    }

    /**
     * The password of a mesh service's own ACL user: a file named after the user in MESH_REDIS_SECRETS, or in the
     * secrets of the local Redis; null when it is not known.
     */
    public static String redisServicePassword(String user) {
        String directory = System.getenv("MESH_REDIS_SECRETS");
        if (directory != null && !directory.isBlank()) {
            return readSecret(Path.of(directory).resolve(user));
        }
        return localRedisSecret(user);
    }

    private static String localRedisSecret(String user) {
        Path file = localRedisFile("secrets/" + user);
        return file == null ? null : readSecret(file);
    }

    private static String readSecret(Path file) {
        try {
            String secret = Files.readString(file).strip();
            return secret.isEmpty() ? null : secret;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The TLS address of the same Redis: MESH_REDIS_TLS_URL, or for the local Redis its TLS port (its port + 1, as
     * servers.sh starts it); null when neither is known.
     */
    public static String redisTlsUrl() {
        String url = System.getenv("MESH_REDIS_TLS_URL");
        if (url != null && !url.isBlank()) {
            return url.strip();
        }
        URI uri = URI.create(redisUrl());
        return localRedisFile("tls/ca.crt") == null
                ? null
                : "rediss://127.0.0.1:" + ((uri.getPort() < 0 ? 6379 : uri.getPort()) + 1);
    }

    /** The CA that signed the TLS certificate of {@link #redisTlsUrl()}: MESH_REDIS_CA_FILE or the local one. */
    public static String redisCaFile() {
        String file = System.getenv("MESH_REDIS_CA_FILE");
        if (file != null && !file.isBlank()) {
            return file.strip();
        }
        Path local = localRedisFile("tls/ca.crt");
        return local == null ? null : local.toString();
    }

    private static Path localRedisFile(String name) {
        URI uri = URI.create(redisUrl());
        boolean local = "127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost());
        Path file = repoRoot()
                .resolve(".mesh-local/redis-" + (uri.getPort() < 0 ? 6379 : uri.getPort()))
                .resolve(name);
        return local && Files.isReadable(file) ? file : null;
    }

    /** Client options for the tests' own Redis connections: the URL of {@link #requireRedis()} as the test user. */
    public static io.vertx.redis.client.RedisOptions redisOptions() {
        return redisOptions(requireRedis());
    }

    /** The same account on another URL of the same server (a database index, the TLS port). */
    public static io.vertx.redis.client.RedisOptions redisOptions(String url) {
        String user = redisUser();
        String endpoint = user == null ? url : io.berrys.mesh.events.redis.ServiceRedisAccount.asUser(url, user);
        io.vertx.redis.client.RedisOptions options =
                new io.vertx.redis.client.RedisOptions().setConnectionString(endpoint);
        String password = redisPassword();
        if (password != null) {
            options.setPassword(password);
        }
        return options;
    }

    /**
     * The environment a child JVM of a test connects with: the test's account, through the same variables a service
     * reads (never on its command line, where ps would show the password).
     */
    public static java.util.Map<String, String> redisAccountEnvironment() {
        java.util.Map<String, String> environment = new java.util.HashMap<>();
        environment.put("MESH_REDIS_URL", requireRedis());
        environment.put("MESH_REDIS_USER", redisUser() == null ? "" : redisUser());
        environment.put("MESH_REDIS_PASSWORD", redisPassword() == null ? "" : redisPassword());
        return environment;
    }

    /** Where the tests' PostgreSQL is: MESH_PG_URL (postgresql://[user@]host:port/db) or the local default. */
    public record Postgres(String host, int port, String database, String user, String password) {
        public String reactiveUrl() {
            return "postgresql://" + host + ":" + port + "/" + database;
        }

        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        /**
         * A JDBC connection to {@code name} on this server, through the PostgreSQL driver itself, not DriverManager:
         * a test resource may run under another class loader than the application's, where DriverManager finds no
         * driver. The driver comes from the calling module's test classpath.
         */
        public java.sql.Connection connect(String name) throws java.sql.SQLException {
            java.util.Properties credentials = new java.util.Properties();
            credentials.setProperty("user", user);
            credentials.setProperty("password", password);
            java.sql.Driver driver;
            try {
                driver = (java.sql.Driver)
                        Class.forName("org.postgresql.Driver", true, LocalServers.class.getClassLoader())
                                .getDeclaredConstructor()
                                .newInstance();
            } catch (ReflectiveOperationException e) {
                throw new java.sql.SQLException(
                        "the PostgreSQL JDBC driver (org.postgresql:postgresql) is not on the" + " test classpath", e);
            }
            return driver.connect("jdbc:postgresql://" + host + ":" + port + "/" + name, credentials);
        }
    }

    public static Postgres requirePostgres() {
        String url = System.getProperty("mesh.pg.url", System.getenv("MESH_PG_URL"));
        URI uri = URI.create(url == null || url.isBlank() ? "postgresql://127.0.0.1:5442/mesh" : url);
        String user = System.getenv().getOrDefault("MESH_PG_USER", "mesh");
        String password = System.getenv().getOrDefault("MESH_PG_PASSWORD", "mesh");
        Postgres postgres = new Postgres(
                uri.getHost(),
                uri.getPort() < 0 ? 5432 : uri.getPort(),
                uri.getPath() == null || uri.getPath().length() < 2
                        ? "mesh"
                        : uri.getPath().substring(1),
                user,
                password);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(postgres.host(), postgres.port()), 2_000);
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + postgres.host() + ":" + postgres.port()
                    + " (" + e.getMessage() + "). Start it with 'deploy/local/servers.sh start postgres', or point"
                    + " MESH_PG_URL at a running server. deploy/local/test.sh does both for you.");
        }
        return postgres;
    }

    /**
     * The AWS endpoint the tests use: MESH_AWS_ENDPOINT, or the moto server {@code deploy/local/servers.sh start
     * moto} started (its port is kept in {@code .mesh-local/moto/port}), after checking it answers. The SDK gets
     * moto's dummy credentials through system properties, so no AWS profile of the machine is ever used.
     */
    public static String requireMoto() {
        String endpoint = System.getProperty("mesh.aws.endpoint", System.getenv("MESH_AWS_ENDPOINT"));
        if (endpoint == null || endpoint.isBlank()) {
            Path portFile = repoRoot().resolve(".mesh-local/moto/port");
            try {
                endpoint = "http://127.0.0.1:"
                        + java.nio.file.Files.readString(portFile).strip();
            } catch (IOException e) {
                throw new IllegalStateException("No moto server known: start it with 'deploy/local/servers.sh start"
                        + " moto', or set MESH_AWS_ENDPOINT. deploy/local/test.sh does this for you.");
            }
        }
        URI uri = URI.create(endpoint);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()), 2_000);
        } catch (IOException e) {
            throw new IllegalStateException("The AWS endpoint " + endpoint + " is not reachable (" + e.getMessage()
                    + "). Start moto with 'deploy/local/servers.sh start moto'.");
        }
        System.setProperty("aws.accessKeyId", System.getenv().getOrDefault("AWS_ACCESS_KEY_ID", "mesh-local"));
        System.setProperty("aws.secretAccessKey", System.getenv().getOrDefault("AWS_SECRET_ACCESS_KEY", "mesh-local"));
        return endpoint;
    }

    /**
     * Runs {@code deploy/local/servers.sh <action> <target>} with extra environment (a private port, a state
     * directory), failing with the script's output when it fails.
     */
    public static void runServersScript(String action, String target, java.util.Map<String, String> environment) {
        Path script = repoRoot().resolve("deploy/local/servers.sh");
        ProcessBuilder builder =
                new ProcessBuilder(java.util.List.of(script.toString(), action, target)).redirectErrorStream(true);
        builder.environment().remove("MESH_REDIS_URL");
        builder.environment().remove("MESH_PG_URL");
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            String output =
                    new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(
                        "servers.sh " + action + " " + target + " " + environment + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running servers.sh " + action, e);
        }
    }

    /** A port nothing listens on now. */
    public static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }

    /** The repository root, found from the working directory of the test (a module folder). */
    public static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isExecutable(dir.resolve("deploy/local/servers.sh"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "cannot find deploy/local/servers.sh above " + Path.of("").toAbsolutePath());
    }
}
