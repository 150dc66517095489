package io.berrys.mesh.events.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Points the application under test at the local Redis. With the init argument {@code clean-prefix}, keys with
 * that prefix are deleted first, so streams left by an earlier run do not leak into this one.
 */
public class RedisServerResource implements QuarkusTestResourceLifecycleManager {

    private String cleanPrefix;

    @Override
    public void init(Map<String, String> initArgs) {
        cleanPrefix = initArgs.get("clean-prefix");
    }

    @Override
    public Map<String, String> start() {
        String url = LocalServers.requireRedis();
        if (cleanPrefix != null && !cleanPrefix.isBlank()) {
            deleteKeys(LocalServers.redisOptions(), cleanPrefix);
        }
        Map<String, String> account = new java.util.HashMap<>();
        account.put("quarkus.redis.hosts", url);
        // The test's account (the local admin), whether or not MESH_REDIS_PASSWORD is in the environment.
        account.put("mesh.redis.user", LocalServers.redisUser() == null ? "" : LocalServers.redisUser());
        if (LocalServers.redisPassword() != null) {
            account.put("quarkus.redis.password", LocalServers.redisPassword());
        }
        return account;
    }

    @Override
    public void stop() {}

    public static void deleteKeys(io.vertx.redis.client.RedisOptions account, String prefix) {
        Vertx vertx = Vertx.vertx();
        Redis redis = Redis.createClient(vertx, account);
        try {
            String cursor = "0";
            do {
                Response page = await(redis.send(Request.cmd(Command.SCAN)
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(prefix + "*")
                        .arg("COUNT")
                        .arg(1000)));
                cursor = page.get(0).toString();
                List<String> keys = new ArrayList<>();
                page.get(1).forEach(key -> keys.add(key.toString()));
                if (!keys.isEmpty()) {
                    Request del = Request.cmd(Command.DEL);
                    keys.forEach(del::arg);
                    await(redis.send(del));
                }
            } while (!"0".equals(cursor));
        } finally {
            redis.close();
            vertx.close();
        }
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis command failed: " + e.getMessage(), e);
        }
    }
}
