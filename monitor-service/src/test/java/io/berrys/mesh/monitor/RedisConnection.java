package io.berrys.mesh.monitor;

import io.berrys.mesh.monitor.releases.TransitionHistory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A blocking Redis connection for tests that run the service as a process of its own, outside Quarkus. */
final class RedisConnection implements AutoCloseable {

    private static final int BATCH = 500;

    private final Vertx vertx = Vertx.vertx();
    private final Redis redis;

    RedisConnection(io.vertx.redis.client.RedisOptions account) {
        redis = Redis.createClient(vertx, account);
    }

    Response send(Command command, String... args) {
        Request request = Request.cmd(command);
        for (String arg : args) {
            request.arg(arg);
        }
        return await(redis.send(request));
    }

    /** Appends the entries at their ids ({@code *} lets Redis choose), in pipelined batches; returns the ids. */
    List<String> xadd(String stream, List<TransitionHistory.Entry> entries, List<String> ids) {
        List<String> written = new ArrayList<>(entries.size());
        for (int from = 0; from < entries.size(); from += BATCH) {
            List<Request> batch = new ArrayList<>();
            for (int i = from; i < Math.min(entries.size(), from + BATCH); i++) {
                Request request = Request.cmd(Command.XADD);
                for (String arg : TransitionHistory.xadd(
                        stream, ids.get(i), entries.get(i).event())) {
                    request.arg(arg);
                }
                batch.add(request);
            }
            await(redis.batch(batch)).forEach(id -> written.add(id.toString()));
        }
        return written;
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis command failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        redis.close();
        vertx.close();
    }
}
