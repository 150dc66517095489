package io.berrys.mesh.events.redis;

/**
 * Where an incoming message came from. {@code attempt} is 1 on first delivery and counts every delivery since,
 * including those to consumers that crashed before acknowledging.
 */
public record IncomingRedisStreamsMetadata(String stream, String entryId, String group, String consumer, int attempt) {

    /** Milliseconds since the epoch at which Redis accepted the entry (the first half of its id). */
    public long entryTimestamp() {
        return StreamEntry.timestampOf(entryId);
    }
}
