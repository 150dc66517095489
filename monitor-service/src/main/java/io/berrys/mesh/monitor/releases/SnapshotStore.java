package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.monitor.MonitorConfig;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.redis.client.Command;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where the {@link LiveReleasesSnapshot} of a stream lives in Redis: a hash at {@code <stream>:live-releases-snapshot}
 * with the fields {@code format}, {@code through} and {@code state}. Every replica folds the whole stream, so any
 * replica's snapshot will do; a write only replaces a snapshot whose {@code through} is older (checked and written
 * in one Lua script, so two replicas writing at once cannot move it backwards). The key expires one look-back after
 * its last write: by then a start would ignore it anyway.
 */
@ApplicationScoped
public class SnapshotStore {

    public static final String KEY_SUFFIX = ":live-releases-snapshot";

    /** KEYS[1] the snapshot; ARGV through, format, state, time to live in ms. Returns 1 if written, 0 if kept. */
    private static final String WRITE_IF_NEWER = """
            local kind = redis.call('TYPE', KEYS[1]).ok
            if kind == 'hash' then
              local current = redis.call('HGET', KEYS[1], 'through')
              local cms, cseq = string.match(current or '', '^(%d+)-(%d+)$')
              if cms then
                local nms, nseq = string.match(ARGV[1], '^(%d+)-(%d+)$')
                cms, cseq, nms, nseq = tonumber(cms), tonumber(cseq), tonumber(nms), tonumber(nseq)
                if cms > nms or (cms == nms and cseq >= nseq) then
                  return 0
                end
              end
            elseif kind ~= 'none' then
              redis.call('DEL', KEYS[1])
            end
            redis.call('HSET', KEYS[1], 'format', ARGV[2], 'through', ARGV[1], 'state', ARGV[3])
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return 1
            """;

    private final RedisDataSource redis;
    private final String key;
    private final Duration timeToLive;

    @Inject
    public SnapshotStore(
            RedisDataSource redis,
            MonitorConfig config,
            @ConfigProperty(name = "mp.messaging.incoming.transitions.stream") String stream) {
        this(redis, stream, config.projectionLookback());
    }

    public SnapshotStore(RedisDataSource redis, String stream, Duration timeToLive) {
        this.redis = redis;
        this.key = stream + KEY_SUFFIX;
        this.timeToLive = timeToLive;
    }

    public String key() {
        return key;
    }

    /** The fields as stored; all null when there is no snapshot. Nothing is checked here. */
    public record Stored(String format, String through, String state) {
        public boolean missing() {
            return format == null && through == null && state == null;
        }
    }

    public Stored read() {
        Response fields = redis.execute(Command.HMGET, key, "format", "through", "state");
        return new Stored(text(fields.get(0)), text(fields.get(1)), text(fields.get(2)));
    }

    /** Writes {@code snapshot} unless the one stored has folded as far or further; says whether it wrote. */
    public boolean write(LiveReleasesSnapshot snapshot) {
        if (snapshot.through() == null) {
            throw new IllegalArgumentException("a snapshot of nothing folded is not written");
        }
        Response written = redis.execute(
                Command.EVAL,
                WRITE_IF_NEWER,
                "1",
                key,
                snapshot.through(),
                Integer.toString(LiveReleasesSnapshot.FORMAT),
                snapshot.encodeState(),
                Long.toString(Math.max(1, timeToLive.toMillis())));
        return written.toInteger() == 1;
    }

    private static String text(Response field) {
        return field == null ? null : field.toString();
    }
}
