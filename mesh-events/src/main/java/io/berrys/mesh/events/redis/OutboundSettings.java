package io.berrys.mesh.events.redis;

/** Validated settings of one outgoing channel; see {@link RedisStreamsConnector} for what each key means. */
record OutboundSettings(
        String channel,
        String stream,
        long maxLen,
        int maxBatch,
        int maxPendingWrites,
        PayloadFormat payloadFormat,
        boolean routeByType,
        String streamPrefix,
        int maxEntryBytes,
        long retryTimeoutMs) {

    OutboundSettings {
        if (maxBatch <= 0 || maxPendingWrites <= 0) {
            throw new IllegalArgumentException(
                    "smallrye-redis-streams: max-batch and max-pending-writes must be positive");
        }
        if (stream == null || stream.isBlank()) {
            throw new IllegalArgumentException("smallrye-redis-streams: stream must be set");
        }
    }
}
