package io.berrys.mesh.migration;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.MalformedEventException;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.cloudevents.CloudEvent;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Whether this release has a verified backup of a database, read from {@code mesh.transitions} itself (newest
 * first, back to the look-back): a {@code mesh.backup.finished} that passed, for this release and this database,
 * with {@code verified: true}. The migration-service trusts no one's word for it, not even the coordinator's order
 * of stages.
 */
@ApplicationScoped
public class BackupEvidence {

    private static final int PAGE = 500;
    private static final String BACKUP_FINISHED = Task.BACKUP.type(Phase.FINISHED);

    private final RedisDataSource redis;
    private final MigrationConfig config;
    private final String stream;

    public BackupEvidence(RedisDataSource redis, MigrationConfig config) {
        this.redis = redis;
        this.config = config;
        this.stream = config.transitionsStream();
    }

    /** The location of the verified backup, if there is one. */
    public Optional<String> verifiedBackup(String releaseId, String database) {
        if (releaseId == null) {
            return Optional.empty();
        }
        String oldest =
                Long.toString(Instant.now().minus(config.backupLookback()).toEpochMilli());
        String cursor = "+";
        while (true) {
            List<StreamMessage<String, String, String>> page = redis.stream(String.class)
                    // XREVRANGE takes the upper bound first; StreamRange passes its two bounds as given.
                    .xrevrange(stream, StreamRange.of(cursor, oldest), PAGE);
            for (StreamMessage<String, String, String> entry : page) {
                if (!BACKUP_FINISHED.equals(entry.payload().get("type"))
                        || !releaseId.equals(entry.payload().get("releaseid"))) {
                    continue;
                }
                Optional<String> location = verified(entry, database);
                if (location.isPresent()) {
                    return location;
                }
            }
            if (page.size() < PAGE) {
                return Optional.empty();
            }
            cursor = "(" + page.get(page.size() - 1).id();
        }
    }

    private static Optional<String> verified(StreamMessage<String, String, String> entry, String database) {
        try {
            CloudEvent event = EventCodec.fromFields(entry.payload(), EventSchema.MAX_ENTRY_BYTES);
            TaskFinished finished = Events.payload(event, TaskFinished.class);
            // Only the backup-service's word counts.
            if (event.getSource() != null
                    && event.getSource().toString().equals(Services.source(Services.BACKUP))
                    && finished.result() == Result.PASS
                    && database.equals(finished.details().get("database"))
                    && Boolean.TRUE.equals(finished.details().get("verified"))) {
                return Optional.of(String.valueOf(finished.details().getOrDefault("location", "a verified backup")));
            }
        } catch (MalformedEventException e) {
            // not evidence
        }
        return Optional.empty();
    }
}
