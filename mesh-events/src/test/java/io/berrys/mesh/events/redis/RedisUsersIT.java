package io.berrys.mesh.events.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.testing.LocalServers;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ACL users of deploy/redis/users.acl, as the local Redis enforces them: who may write which stream, checked
 * for every user and every stream against the producers docs/architecture.md names (the table below follows the
 * code's writers, not the file), and TLS with the generated CA. That a service's rules suffice for everything it
 * does is the system tests' part: they fail on any NOPERM in a service's log.
 * Writes go to a database of their own, emptied afterwards.
 */
class RedisUsersIT {

    private static final int DATABASE = 11;

    private static final List<String> SERVICES = List.of(
            "coordinator",
            "rollout-service",
            "migration-service",
            "backup-service",
            "monitor-service",
            "provisioner",
            "release-publisher");

    /** Who may XADD to each stream; nobody else may. */
    private static final Map<String, Set<String>> PRODUCERS = producers();

    private static Vertx vertx;

    private static Map<String, Set<String>> producers() {
        Map<String, Set<String>> producers = new java.util.LinkedHashMap<>();
        producers.put(Streams.COMMANDS, Set.of("monitor-service", "release-publisher"));
        producers.put(
                Streams.TRANSITIONS,
                Set.of(
                        "coordinator",
                        "rollout-service",
                        "migration-service",
                        "backup-service",
                        "monitor-service",
                        "provisioner"));
        for (Task task : Task.values()) {
            producers.put(task.commandStream(), Set.of("coordinator"));
        }
        // The alert's direct rollback (AlertIntake) and the checks between traffic steps (RolloutEngine).
        producers.put(Streams.PRIORITY, Set.of("coordinator", "monitor-service"));
        producers.put(Task.VERIFICATION.commandStream(), Set.of("coordinator", "rollout-service"));
        return producers;
    }

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Redis admin =
                Redis.createClient(vertx, LocalServers.redisOptions(LocalServers.requireRedis() + "/" + DATABASE));
        try {
            send(admin, Request.cmd(Command.FLUSHDB));
        } finally {
            admin.close();
            vertx.close();
        }
    }

    @Test
    void eachServiceMayWriteOnlyTheStreamsItProduces() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (String user : SERVICES) {
            Redis redis = inTestDatabase(user);
            try {
                for (Map.Entry<String, Set<String>> stream : PRODUCERS.entrySet()) {
                    boolean allowed = stream.getValue().contains(user);
                    String denial = denial(
                            redis,
                            Request.cmd(Command.XADD)
                                    .arg(stream.getKey())
                                    .arg("*")
                                    .arg("probe")
                                    .arg(user));
                    if (allowed && denial != null) {
                        wrong.add(user + " may not XADD " + stream.getKey() + ": " + denial);
                    } else if (!allowed && denial == null) {
                        wrong.add(user + " may XADD " + stream.getKey() + ", which only " + stream.getValue()
                                + " should");
                    } else if (!allowed && !denial.startsWith("NOPERM")) {
                        wrong.add(user + " XADD " + stream.getKey() + " failed, not with NOPERM: " + denial);
                    }
                }
            } finally {
                redis.close();
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void aConsumerReadsItsStreamButCannotForgeWorkOnIt() throws Exception {
        Redis rollout = inTestDatabase("rollout-service");
        try {
            send(
                    rollout,
                    Request.cmd(Command.XGROUP)
                            .arg("CREATE")
                            .arg("mesh.rollout")
                            .arg("rollout-service")
                            .arg("$")
                            .arg("MKSTREAM"));
            Response read = send(
                    rollout,
                    Request.cmd(Command.XREADGROUP)
                            .arg("GROUP")
                            .arg("rollout-service")
                            .arg("probe")
                            .arg("COUNT")
                            .arg(1)
                            .arg("STREAMS")
                            .arg("mesh.rollout")
                            .arg(">"));
            assertEquals(null, read, "nothing was written to mesh.rollout in this database");
            assertRefusedForPermissions(
                    rollout,
                    Request.cmd(Command.XADD)
                            .arg("mesh.rollout")
                            .arg("*")
                            .arg("type")
                            .arg("mesh.rollout.triggered"),
                    "the rollout-service could write its own rollout commands");
            assertEquals(
                    null,
                    denial(
                            rollout,
                            Request.cmd(Command.XADD)
                                    .arg("mesh.rollout.dlq")
                                    .arg("*")
                                    .arg("a")
                                    .arg("b")),
                    "a consumer dead-letters what it cannot handle");
        } finally {
            rollout.close();
        }
    }

    @Test
    void idempotencyKeysAreEachServicesOwn() throws Exception {
        Redis backup = inTestDatabase("backup-service");
        try {
            send(
                    backup,
                    Request.cmd(Command.SET)
                            .arg("mesh:seen:backup-service:probe")
                            .arg("1"));
            assertRefusedForPermissions(
                    backup,
                    Request.cmd(Command.SET)
                            .arg("mesh:seen:rollout-service:probe")
                            .arg("1"),
                    "the backup-service could mark the rollout-service's events as handled");
            String admin = denial(backup, Request.cmd(Command.FLUSHDB));
            assertNotNull(admin, "a service may empty the database");
        } finally {
            backup.close();
        }
    }

    @Test
    void withoutTheRightPasswordNothingIsAllowed() throws Exception {
        Redis anonymous =
                Redis.createClient(vertx, new RedisOptions().setConnectionString(LocalServers.requireRedis()));
        try {
            String refused = denial(
                    anonymous,
                    Request.cmd(Command.XADD)
                            .arg("mesh.commands")
                            .arg("*")
                            .arg("a")
                            .arg("b"));
            assertNotNull(refused, "a client without credentials wrote mesh.commands");
            assertTrue(refused.contains("NOAUTH"), refused);
        } finally {
            anonymous.close();
        }
        Redis wrong = Redis.createClient(
                vertx,
                new RedisOptions()
                        .setConnectionString(ServiceRedisAccount.asUser(LocalServers.requireRedis(), "monitor-service"))
                        .setPassword("not-the-password"));
        try {
            String refused = denial(wrong, Request.cmd(Command.PING));
            assertNotNull(refused, "a wrong password was accepted");
            assertTrue(refused.contains("WRONGPASS"), refused);
        } finally {
            wrong.close();
        }
    }

    @Test
    void overTlsTheServerIsVerifiedAgainstTheGeneratedCa() throws Exception {
        String tls = LocalServers.redisTlsUrl();
        String ca = LocalServers.redisCaFile();
        assertNotNull(tls, "no TLS address of Redis: deploy/local/servers.sh starts one, or set MESH_REDIS_TLS_URL");
        assertNotNull(ca, "no CA of the Redis TLS certificate: set MESH_REDIS_CA_FILE");
        RedisOptions trusted = account("coordinator", tls);
        trusted.getNetClientOptions()
                .setTrustOptions(new PemTrustOptions().addCertPath(ca))
                .setHostnameVerificationAlgorithm("HTTPS");
        Redis verified = Redis.createClient(vertx, trusted);
        try {
            assertEquals("PONG", send(verified, Request.cmd(Command.PING)).toString());
        } finally {
            verified.close();
        }
        // The same address without the CA: the JVM's own trust store does not know it, so the handshake fails.
        RedisOptions withoutCa = account("coordinator", tls);
        withoutCa.getNetClientOptions().setHostnameVerificationAlgorithm("HTTPS");
        Redis untrusted = Redis.createClient(vertx, withoutCa);
        try {
            String refused = denial(untrusted, Request.cmd(Command.PING));
            assertNotNull(refused, "a certificate from an unknown CA was accepted");
            assertTrue(refused.contains("PKIX") || refused.contains("certificat"), refused);
        } finally {
            untrusted.close();
        }
    }

    private static RedisOptions account(String user, String url) {
        String password = LocalServers.redisServicePassword(user);
        if (password == null) {
            fail("no password known for the Redis user " + user + ": start Redis with deploy/local/servers.sh, or"
                    + " set MESH_REDIS_SECRETS to a directory with one file per user");
        }
        return new RedisOptions()
                .setConnectionString(ServiceRedisAccount.asUser(url, user))
                .setPassword(password);
    }

    private static Redis as(String user, String url) {
        return Redis.createClient(vertx, account(user, url));
    }

    /** A client as {@code user} on this test's own database. */
    private static Redis inTestDatabase(String user) {
        return as(user, LocalServers.requireRedis() + "/" + DATABASE);
    }

    /** The command fails, and for want of permission (NOPERM), not for any other reason. */
    private static void assertRefusedForPermissions(Redis redis, Request request, String ifAllowed) throws Exception {
        String refused = denial(redis, request);
        assertNotNull(refused, ifAllowed);
        assertTrue(refused.startsWith("NOPERM"), refused);
    }

    private static Response send(Redis redis, Request request) throws Exception {
        return redis.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Null when the command succeeded; otherwise what Redis (or the connection) answered. */
    private static String denial(Redis redis, Request request) throws Exception {
        try {
            send(redis, request);
            return null;
        } catch (ExecutionException e) {
            return String.valueOf(e.getCause().getMessage());
        }
    }
}
