package io.berrys.mesh.events.redis;

/** Validated settings of one incoming channel; see {@link RedisStreamsConnector} for what each key means. */
record InboundSettings(
        String channel,
        String stream,
        String group,
        String consumer,
        int batchSize,
        long blockMs,
        int maxInFlight,
        int maxAttempts,
        long retryBackoffMs,
        long reclaimIdleMs,
        long reclaimIntervalMs,
        String deadLetterStream,
        long deadLetterMaxLen,
        PayloadFormat payloadFormat,
        int maxEntryBytes,
        long shutdownTimeoutMs,
        String startFrom,
        long metricsIntervalMs,
        long maxHandlingMs,
        String rejectionReplyStream) {

    InboundSettings {
        require(batchSize > 0, "batch-size must be positive");
        require(blockMs >= 1, "block-ms must be at least 1 (0 would block forever)");
        require(maxInFlight > 0, "max-in-flight must be positive");
        require(maxAttempts > 0, "max-attempts must be positive");
        require(reclaimIdleMs > 0, "reclaim-idle-ms must be positive");
        require(reclaimIntervalMs > 0, "reclaim-interval-ms must be positive");
        require(metricsIntervalMs > 0, "metrics-interval-ms must be positive");
        require(maxHandlingMs > 0, "max-handling-ms must be positive");
        require(retryBackoffMs >= 0, "retry-backoff-ms must not be negative");
        require(shutdownTimeoutMs >= 0, "shutdown-timeout-ms must not be negative");
        require(deadLetterMaxLen >= 0, "dead-letter-maxlen must not be negative");
        require(maxEntryBytes > 0, "max-entry-bytes must be positive");
        require(stream != null && !stream.isBlank(), "stream must be set");
        require(group != null && !group.isBlank(), "group must be set (or quarkus.application.name)");
        require(!stream.equals(deadLetterStream), "dead-letter-stream must differ from the stream");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("smallrye-redis-streams: " + message);
        }
    }
}
