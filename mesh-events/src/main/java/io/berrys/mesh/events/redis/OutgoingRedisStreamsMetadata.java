package io.berrys.mesh.events.redis;

/**
 * Per-message overrides for the outgoing side. The id Redis assigns to the written entry is reported through
 * SmallRye's {@link io.smallrye.reactive.messaging.OutgoingMessageMetadata} result.
 */
public record OutgoingRedisStreamsMetadata(String stream, Long maxLen) {

    public static OutgoingRedisStreamsMetadata toStream(String stream) {
        return new OutgoingRedisStreamsMetadata(stream, null);
    }
}
