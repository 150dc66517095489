package io.berrys.mesh.events.redis;

/**
 * Per-message overrides for the outgoing side. The id Redis assigns to the written entry is reported through
 * SmallRye's {@link io.smallrye.reactive.messaging.OutgoingMessageMetadata} result.
 */
public record OutgoingRedisStreamsMetadata(String stream, Long maxLen, boolean request) {

    public static OutgoingRedisStreamsMetadata toStream(String stream) {
        return new OutgoingRedisStreamsMetadata(stream, null, false);
    }

    /**
     * A release request or command for the coordinator: to {@code mesh.commands} (with the channel's stream prefix),
     * the one stream it takes them from.
     */
    public static OutgoingRedisStreamsMetadata asRequest() {
        return new OutgoingRedisStreamsMetadata(null, null, true);
    }
}
