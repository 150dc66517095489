package io.berrys.mesh.provisioner.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.provisioner.aws.AwsClients;
import io.berrys.mesh.provisioner.aws.MemoryMarkers;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Action;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.plan.Change;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import io.berrys.mesh.provisioner.spec.SpecReader;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/**
 * The local provider on this machine's servers: the demo's staging spec applied to a Kubernetes API (fabric8's
 * CRUD server, the cluster the demo simulates), the local PostgreSQL (through the provisioner's own role, which is
 * no superuser) and the local S3 server; re-planned as a no-op, drifted by hand, finished after a create that lost
 * its tag, and destroyed, with the protected parts of production kept.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalProviderIT {

    static KubernetesMockServer api;
    static KubernetesClient kube;
    static LocalServers.Postgres admin;
    static Postgres postgres;
    static AwsClients s3;
    static ExecutorService pool;
    static LocalProvider provider;
    static Engine engine;
    static Scope scope;
    static String environment;
    static String database;
    static List<Resource> desired;
    static final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        api = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getLoopbackAddress(), 0);
        kube = api.createClient();
        admin = LocalServers.requirePostgres();
        postgres = new Postgres(
                admin.host(),
                admin.port(),
                "postgres",
                System.getenv().getOrDefault("MESH_PROVISIONER_PG_USER", "mesh_provisioner"),
                System.getenv().getOrDefault("MESH_PROVISIONER_PG_PASSWORD", "mesh_provisioner"));
        s3 = new AwsClients(Optional.of(URI.create(LocalServers.requireMoto())), Duration.ofSeconds(30));
        pool = Executors.newFixedThreadPool(8);
        provider = new LocalProvider(kube, postgres, "redis://127.0.0.1:6390", s3, pool);
        engine = new Engine(provider, new MemoryMarkers(), pool);
        // The server and moto keep what earlier runs made, and bucket names are global: fresh names per run.
        environment = "it-" + UUID.randomUUID().toString().substring(0, 8);
        database = "berrys_" + environment.replace('-', '_');
        desired = spec("staging");
        scope = new Scope(environment, "us-east-1", List.of("us-east-1"));
    }

    static List<Resource> spec(String name) throws Exception {
        String yaml = Files.readString(Path.of("../deploy/local/environments/" + name + ".yaml"))
                .replace("environment: " + name, "environment: " + environment);
        return Blueprint.local(SpecReader.read(name + ".yaml", yaml));
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.destroy(scope, true, progress::add);
        }
        if (pool != null) {
            pool.shutdownNow();
        }
        if (s3 != null) {
            s3.close();
        }
        kube.close();
        api.destroy();
    }

    static Change change(Plan plan, String id) {
        return plan.changes().stream()
                .filter(c -> c.id().equals(id))
                .findFirst()
                .orElseThrow();
    }

    @Test
    @Order(1)
    void anApplyFromNothingMakesANamespaceADatabaseItsRoleSecretsAndBuckets() throws Exception {
        var outcome = engine.apply(scope, desired, false, progress::add);

        assertThat(outcome.plan().count(Action.CREATE)).isEqualTo(desired.size());
        assertThat(provider.observe(scope)).hasSize(desired.size());

        Namespace namespace = kube.namespaces().withName(environment).get();
        assertThat(namespace.getMetadata().getLabels()).containsEntry(Tags.ENVIRONMENT, environment);
        assertThat(namespace.getMetadata().getAnnotations()).containsEntry(Tags.LOGICAL_ID, Blueprint.NAMESPACE);

        // The URL in the Secret is what a pod of the platform would use: it logs in as the environment's role.
        KubeSecrets secrets = new KubeSecrets(kube, postgres, "");
        URI url = URI.create(secrets.read(environment + "/database-credentials", "url"));
        String[] login = url.getUserInfo().split(":", 2);
        assertThat(login[0]).isEqualTo(database);
        assertThat(login[1]).hasSize(32);
        Properties properties = new Properties();
        properties.setProperty("user", login[0]);
        properties.setProperty("password", login[1]);
        try (Connection connection = new org.postgresql.Driver()
                        .connect(
                                "jdbc:postgresql://" + url.getHost() + ":" + url.getPort() + url.getPath(),
                                properties);
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(
                        "SELECT current_user, current_database(), (SELECT pg_get_userbyid(datdba) FROM pg_database"
                                + " WHERE datname = current_database())")) {
            row.next();
            assertThat(List.of(row.getString(1), row.getString(2), row.getString(3)))
                    .containsExactly(database, database, database);
        }
        assertThat(secrets.read(environment + "/redis-credentials", "url")).isEqualTo("redis://127.0.0.1:6390");
        // The value is never in a progress line.
        assertThat(progress).noneMatch(line -> line.contains(login[1]));

        String backups = "berrys-" + environment + "-backups";
        var bucket = s3.s3("us-east-1");
        assertThat(bucket.getBucketVersioning(r -> r.bucket(backups)).status())
                .isEqualTo(BucketVersioningStatus.ENABLED);
        assertThat(bucket.getBucketLifecycleConfiguration(r -> r.bucket(backups))
                        .rules())
                .anySatisfy(rule -> assertThat(rule.expiration().days()).isEqualTo(14));
    }

    @Test
    @Order(2)
    void applyingAgainIsANoOp() {
        Plan plan = engine.plan(scope, desired);

        assertThat(plan.pending()).isEmpty();
        assertThat(engine.apply(scope, desired, false, progress::add).plan().pending())
                .isEmpty();
    }

    @Test
    @Order(3)
    void aChangeMadeByHandIsDriftNamingTheDatabaseAndAttribute() throws Exception {
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + database + " CONNECTION LIMIT 5");
        }

        Change drift = change(engine.plan(scope, desired), Blueprint.LOCAL_DATABASE);

        assertThat(drift.action()).isEqualTo(Action.UPDATE);
        assertThat(drift.attributes()).containsExactly(new AttributeChange("connectionLimit", 5L, 50L, false));

        engine.apply(scope, desired, false, progress::add);
        assertThat(engine.plan(scope, desired).pending()).isEmpty();
    }

    @Test
    @Order(4)
    void aPasswordSecretDeletedByHandIsMadeAgainAndTheRoleAndURLFollowIt() throws Exception {
        kube.secrets().inNamespace(environment).withName("database-password").delete();

        Plan plan = engine.plan(scope, desired);
        assertThat(change(plan, Blueprint.DATABASE_PASSWORD).action()).isEqualTo(Action.CREATE);
        assertThat(change(plan, Blueprint.DATABASE_ROLE).attributes())
                .extracting(AttributeChange::name)
                .containsExactly("passwordSecret");
        assertThat(change(plan, Blueprint.DATABASE_CREDENTIALS).attributes())
                .extracting(AttributeChange::name)
                .containsExactly("from");

        engine.apply(scope, desired, false, progress::add);

        KubeSecrets secrets = new KubeSecrets(kube, postgres, "");
        String password = secrets.read(environment + "/database-password", "password");
        URI url = URI.create(secrets.read(environment + "/database-credentials", "url"));
        assertThat(url.getUserInfo()).isEqualTo(database + ":" + password);
        assertThat(logsIn(url)).isTrue();
        assertThat(engine.plan(scope, desired).pending()).isEmpty();
    }

    static boolean logsIn(URI url) throws Exception {
        String[] login = url.getUserInfo().split(":", 2);
        Properties properties = new Properties();
        properties.setProperty("user", login[0]);
        properties.setProperty("password", login[1]);
        try (Connection connection = new org.postgresql.Driver()
                .connect("jdbc:postgresql://" + url.getHost() + ":" + url.getPort() + url.getPath(), properties)) {
            return connection.isValid(5);
        }
    }

    @Test
    @Order(5)
    void aDatabaseCreatedWithoutItsTagIsFinishedNotMadeTwice() throws Exception {
        // What a crash between CREATE DATABASE and its COMMENT leaves.
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("COMMENT ON DATABASE " + database + " IS NULL");
        }
        assertThat(change(engine.plan(scope, desired), Blueprint.LOCAL_DATABASE).action())
                .isEqualTo(Action.CREATE);

        engine.apply(scope, desired, false, progress::add);

        assertThat(engine.plan(scope, desired).pending()).isEmpty();
        assertThat(progress).anyMatch(line -> line.contains("was created by an earlier run that did not finish"));
    }

    @Test
    @Order(6)
    void destroyRemovesEverything() throws Exception {
        var outcome = engine.destroy(scope, false, progress::add);

        assertThat(outcome.kept()).isEmpty();
        assertThat(provider.observe(scope)).isEmpty();
        assertThat(kube.namespaces().withName(environment).get()).isNull();
        try (Connection connection = postgres.connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT (SELECT count(*) FROM pg_database WHERE datname = '"
                        + database + "'), (SELECT count(*) FROM pg_roles WHERE rolname = '" + database + "')")) {
            rows.next();
            assertThat(List.of(rows.getLong(1), rows.getLong(2))).containsExactly(0L, 0L);
        }
    }

    @Test
    @Order(7)
    void productionKeepsItsDatabaseAndBackupsUnlessForced() throws Exception {
        List<Resource> production = spec("production");
        engine.apply(scope, production, false, progress::add);

        var kept = engine.destroy(scope, false, progress::add);

        assertThat(kept.kept())
                .contains(
                        Blueprint.LOCAL_DATABASE,
                        Blueprint.DATABASE_ROLE,
                        Blueprint.DATABASE_PASSWORD,
                        Blueprint.NAMESPACE,
                        Blueprint.BACKUP_BUCKET)
                .doesNotContain(Blueprint.STATIC_BUCKET, Blueprint.DATABASE_CREDENTIALS);
        assertThat(provider.observe(scope)).containsKey(Blueprint.LOCAL_DATABASE);

        var forced = engine.destroy(scope, true, progress::add);
        assertThat(forced.kept()).isEmpty();
        assertThat(provider.observe(scope)).isEmpty();
    }

    @Test
    @Order(8)
    void aNamespaceThatExistedBeforeIsTakenOverAndGivenBackByADestroy() throws Exception {
        String other = environment + "-x";
        Scope otherScope = new Scope(other, "us-east-1", List.of("us-east-1"));
        kube.namespaces()
                .resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                        .withNewMetadata()
                        .withName(other)
                        .endMetadata()
                        .build())
                .create();
        kube.configMaps()
                .inNamespace(other)
                .resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                        .withNewMetadata()
                        .withName("made-by-hand")
                        .endMetadata()
                        .build())
                .create();
        String yaml = Files.readString(Path.of("../deploy/local/environments/staging.yaml"))
                .replace("environment: staging", "environment: " + other);
        List<Resource> otherDesired = Blueprint.local(SpecReader.read("staging.yaml", yaml));

        engine.apply(otherScope, otherDesired, false, progress::add);
        assertThat(kube.namespaces().withName(other).get().getMetadata().getLabels())
                .containsEntry(Tags.ENVIRONMENT, other);

        engine.destroy(otherScope, false, progress::add);

        Namespace left = kube.namespaces().withName(other).get();
        assertThat(left).isNotNull();
        assertThat(left.getMetadata().getLabels()).doesNotContainKey(Tags.ENVIRONMENT);
        assertThat(kube.configMaps().inNamespace(other).withName("made-by-hand").get())
                .isNotNull();
        assertThat(provider.observe(otherScope)).isEmpty();
    }
}
