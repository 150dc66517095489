package io.berrys.mesh.events.redis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meters of one consumer group on one stream. Gauges read values refreshed by the channel's periodic probe, so a
 * scrape never waits for Redis.
 */
final class StreamMetrics {

    final Counter processed;
    final Counter failed;
    final Counter reclaimed;
    final Counter deadLettered;
    final Counter trimmed;
    private final AtomicLong length = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong oldestPendingAgeMs = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();

    StreamMetrics(MeterRegistry registry, String stream, String group) {
        Tags streamTag = Tags.of("stream", stream);
        Tags groupTags = streamTag.and("group", group);
        processed = Counter.builder("mesh.stream.processed")
                .description("Entries handled successfully and acknowledged")
                .tags(groupTags)
                .register(registry);
        failed = Counter.builder("mesh.stream.failed")
                .description("Handler failures (each retry counts)")
                .tags(groupTags)
                .register(registry);
        reclaimed = Counter.builder("mesh.stream.reclaimed")
                .description("Entries taken over from consumers that stopped acknowledging")
                .tags(groupTags)
                .register(registry);
        deadLettered = Counter.builder("mesh.stream.dead.lettered")
                .description("Entries moved to the dead-letter stream by this group")
                .tags(groupTags)
                .register(registry);
        trimmed = Counter.builder("mesh.stream.trimmed")
                .description("Entries trimmed away (MAXLEN) before this group acknowledged them: lost to it")
                .tags(groupTags)
                .register(registry);
        Gauge.builder("mesh.stream.length", length, AtomicLong::get)
                .description("Entries in the stream (XLEN)")
                .tags(streamTag)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mesh.stream.lag", lag, AtomicLong::get)
                .description("Entries not yet delivered to the group; -1 when Redis cannot tell (entries deleted)")
                .tags(groupTags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mesh.stream.pending", pending, AtomicLong::get)
                .description("Entries delivered but not acknowledged")
                .tags(groupTags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mesh.stream.oldest.pending.age", oldestPendingAgeMs, value -> value.get() / 1000.0)
                .description("Age of the oldest unacknowledged entry")
                .baseUnit("seconds")
                .tags(groupTags)
                .strongReference(true)
                .register(registry);
        Gauge.builder("mesh.stream.dead.letters", deadLetters, AtomicLong::get)
                .description("Entries in the stream's dead-letter stream")
                .tags(streamTag)
                .strongReference(true)
                .register(registry);
    }

    void observe(long length, long lag, long pending, long oldestPendingAgeMs, long deadLetters) {
        this.length.set(length);
        this.lag.set(lag);
        this.pending.set(pending);
        this.oldestPendingAgeMs.set(oldestPendingAgeMs);
        this.deadLetters.set(deadLetters);
    }
}
