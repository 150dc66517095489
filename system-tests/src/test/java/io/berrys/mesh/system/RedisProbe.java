package io.berrys.mesh.system;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The test's own view of the streams: what it injects and what it reads back, as raw entries. */
final class RedisProbe implements AutoCloseable {

    record Entry(String id, Map<String, String> fields) {}

    private final Vertx vertx = Vertx.vertx();
    private final Redis redis;

    RedisProbe(io.vertx.redis.client.RedisOptions account) {
        redis = Redis.createClient(vertx, account);
    }

    Response send(Request request) {
        try {
            return redis.send(request).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis did not answer " + request.command() + ": " + e.getMessage(), e);
        }
    }

    String add(String stream, Map<String, String> fields) {
        Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
        fields.forEach((name, value) -> add.arg(name).arg(value));
        return send(add).toString();
    }

    List<Entry> range(String stream) {
        Response reply = send(Request.cmd(Command.XRANGE).arg(stream).arg("-").arg("+"));
        List<Entry> entries = new ArrayList<>();
        if (reply == null) {
            return entries;
        }
        for (Response entry : reply) {
            Map<String, String> fields = new LinkedHashMap<>();
            Response pairs = entry.get(1);
            for (int i = 0; i + 1 < pairs.size(); i += 2) {
                fields.put(pairs.get(i).toString(), pairs.get(i + 1).toString());
            }
            entries.add(new Entry(entry.get(0).toString(), fields));
        }
        return entries;
    }

    /** Every stream of the database. */
    List<String> streams() {
        List<String> names = new ArrayList<>();
        String cursor = "0";
        do {
            Response page = send(Request.cmd(Command.SCAN)
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(1000)
                    .arg("TYPE")
                    .arg("stream"));
            cursor = page.get(0).toString();
            page.get(1).forEach(name -> names.add(name.toString()));
        } while (!"0".equals(cursor));
        return names;
    }

    /** The consumer groups reading a stream. */
    List<String> groups(String stream) {
        List<String> names = new ArrayList<>();
        for (Response group : send(Request.cmd(Command.XINFO).arg("GROUPS").arg(stream))) {
            if (isMap(group)) {
                // RESP3 answers each group as a map, RESP2 as a flat list of names and values.
                names.add(group.get("name").toString());
                continue;
            }
            for (int i = 0; i + 1 < group.size(); i += 2) {
                if ("name".equals(group.get(i).toString())) {
                    names.add(group.get(i + 1).toString());
                }
            }
        }
        return names;
    }

    /**
     * Entries of the stream that groups whose name starts with {@code groupPrefix} have read and not acknowledged:
     * work a consumer holds.
     */
    long pending(String stream, String groupPrefix) {
        if (send(Request.cmd(Command.EXISTS).arg(stream)).toInteger() == 0) {
            return 0;
        }
        long pending = 0;
        for (String group : groups(stream)) {
            if (group.startsWith(groupPrefix)) {
                Response summary =
                        send(Request.cmd(Command.XPENDING).arg(stream).arg(group));
                pending += summary.get(0).toLong();
            }
        }
        return pending;
    }

    /** The id Redis gives each start of its process: a different one proves it was restarted. */
    String runId() {
        for (String line :
                send(Request.cmd(Command.INFO).arg("server")).toString().split("\r?\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        throw new IllegalStateException("INFO server has no run_id");
    }

    /** Waits until Redis answers PING: right after a restart the client's connections are stale. */
    void awaitPong(java.time.Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                if ("PONG".equals(send(Request.cmd(Command.PING)).toString())) {
                    return;
                }
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            MeshProcesses.sleep(200);
        }
    }

    void set(String key, String value) {
        send(Request.cmd(Command.SET).arg(key).arg(value));
    }

    /** The value, or null. */
    String get(String key) {
        Response value = send(Request.cmd(Command.GET).arg(key));
        return value == null ? null : value.toString();
    }

    private static boolean isMap(Response response) {
        try {
            return response.getKeys() != null && !response.getKeys().isEmpty();
        } catch (RuntimeException notAMap) {
            return false;
        }
    }

    void flushDatabase() {
        send(Request.cmd(Command.FLUSHDB));
    }

    @Override
    public void close() {
        redis.close();
        vertx.close();
    }
}
