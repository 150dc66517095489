package io.berrys.mesh.events.redis;

import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.INCOMING;
import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.INCOMING_AND_OUTGOING;
import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.OUTGOING;

import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.Streams;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.annotations.ConnectorAttribute;
import io.smallrye.reactive.messaging.connector.InboundConnector;
import io.smallrye.reactive.messaging.connector.OutboundConnector;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.health.HealthReporter;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;
import org.jboss.logging.Logger;

/**
 * SmallRye Reactive Messaging connector for Redis Streams, over the Quarkus Redis client (the default client, set
 * with {@code quarkus.redis.hosts}). Incoming channels read with a consumer group and acknowledge after the handler
 * succeeds; outgoing channels append with XADD. See {@code mesh-events/README.md} for the delivery guarantees.
 */
@ApplicationScoped
@Connector(RedisStreamsConnector.NAME)
@ConnectorAttribute(
        name = "stream",
        type = "string",
        direction = INCOMING_AND_OUTGOING,
        description = "Redis stream key. Defaults to the channel name")
@ConnectorAttribute(
        name = "payload-format",
        type = "string",
        direction = INCOMING_AND_OUTGOING,
        defaultValue = "cloudevent",
        description = "cloudevent: payloads are validated CloudEvents (one field per attribute); fields: payloads"
                + " are Map<String, String> of the entry's fields")
@ConnectorAttribute(
        name = "max-entry-bytes",
        type = "int",
        direction = INCOMING_AND_OUTGOING,
        defaultValue = "262144",
        description = "Largest entry accepted (field names and values, UTF-8). Larger incoming entries are"
                + " dead-lettered, larger outgoing messages nacked")
@ConnectorAttribute(
        name = "group",
        type = "string",
        direction = INCOMING,
        description = "Consumer group. Defaults to quarkus.application.name: every service reads with its own group")
@ConnectorAttribute(
        name = "consumer",
        type = "string",
        direction = INCOMING,
        description = "Consumer name within the group. Defaults to <hostname>-<pid>-<channel>. A stable name (a pod"
                + " name) lets a restarted instance resume its own pending entries at once")
@ConnectorAttribute(
        name = "batch-size",
        type = "int",
        direction = INCOMING,
        defaultValue = "256",
        description = "COUNT of each XREADGROUP")
@ConnectorAttribute(
        name = "block-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "1000",
        description = "BLOCK of each XREADGROUP: how long a read waits for new entries")
@ConnectorAttribute(
        name = "max-in-flight",
        type = "int",
        direction = INCOMING,
        defaultValue = "1024",
        description = "Entries delivered but not yet acked or nacked; reading pauses at this bound (backpressure)")
@ConnectorAttribute(
        name = "max-attempts",
        type = "int",
        direction = INCOMING,
        defaultValue = "5",
        description =
                "Deliveries of one entry (retries and reclaims after crashes included) before it is" + " dead-lettered")
@ConnectorAttribute(
        name = "retry-backoff-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "200",
        description = "Delay before the first retry of a nacked message; doubles with every attempt (capped at 30 s)")
@ConnectorAttribute(
        name = "reclaim-idle-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "30000",
        description = "Entries pending longer than this in another consumer's list are reclaimed with XAUTOCLAIM")
@ConnectorAttribute(
        name = "reclaim-interval-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "5000",
        description = "How often the pending lists are swept for abandoned entries")
@ConnectorAttribute(
        name = "dead-letter-stream",
        type = "string",
        direction = INCOMING,
        description = "Where entries go that cannot be handled. Defaults to <stream>.dlq")
@ConnectorAttribute(
        name = "dead-letter-maxlen",
        type = "long",
        direction = INCOMING,
        defaultValue = "100000",
        description = "Approximate MAXLEN of the dead-letter stream")
@ConnectorAttribute(
        name = "rejection-reply-stream",
        type = "string",
        direction = INCOMING,
        defaultValue = "mesh.transitions",
        description = "Where a dead-lettered .triggered command is answered with a failed .finished naming the reason,"
                + " so the release fails at once instead of waiting for its timeout; 'none' turns this off")
@ConnectorAttribute(
        name = "start-from",
        type = "string",
        direction = INCOMING,
        defaultValue = "0",
        description = "Where a newly created group starts: 0 reads what the stream already holds, $ only new entries")
@ConnectorAttribute(
        name = "shutdown-timeout-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "10000",
        description = "How long shutdown waits for in-flight handlers; unfinished entries stay pending for peers")
@ConnectorAttribute(
        name = "metrics-interval-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "5000",
        description = "How often the length, lag, pending and dead-letter gauges are refreshed")
@ConnectorAttribute(
        name = "max-handling-ms",
        type = "long",
        direction = INCOMING,
        defaultValue = "1800000",
        description = "How long a handler may hold an entry while the channel keeps peers from reclaiming it")
@ConnectorAttribute(
        name = "maxlen",
        type = "long",
        direction = OUTGOING,
        defaultValue = "100000",
        description = "Approximate MAXLEN (XADD MAXLEN ~) keeping the stream bounded; 0 disables trimming")
@ConnectorAttribute(
        name = "max-batch",
        type = "int",
        direction = OUTGOING,
        defaultValue = "512",
        description = "Most XADDs pipelined in one round trip")
@ConnectorAttribute(
        name = "max-pending-writes",
        type = "int",
        direction = OUTGOING,
        defaultValue = "4096",
        description = "Messages requested from upstream before their writes complete")
@ConnectorAttribute(
        name = "route-by-type",
        type = "boolean",
        direction = OUTGOING,
        defaultValue = "false",
        description = "Write CloudEvents to the stream their type belongs to (mesh.<task> for .triggered commands,"
                + " mesh.priority for rollbacks, mesh.transitions otherwise) instead of 'stream'")
@ConnectorAttribute(
        name = "stream-prefix",
        type = "string",
        direction = OUTGOING,
        description = "Prefix for the streams route-by-type picks (keeps a test's or a tenant's traffic apart)")
@ConnectorAttribute(
        name = "retry-timeout-ms",
        type = "long",
        direction = OUTGOING,
        defaultValue = "30000",
        description = "How long a failed write is retried (Redis restarting) before the message is nacked")
public class RedisStreamsConnector implements InboundConnector, OutboundConnector, HealthReporter {

    public static final String NAME = "smallrye-redis-streams";
    private static final Logger LOG = Logger.getLogger(RedisStreamsConnector.class);
    private static final long OUTBOUND_SHUTDOWN_MS = 5_000;

    private final Redis redis;
    private final Vertx vertx;
    private final MeterRegistry registry;
    private final List<InboundChannel> inbound = new CopyOnWriteArrayList<>();
    private final List<OutboundChannel> outbound = new CopyOnWriteArrayList<>();
    private final Map<String, StreamMetrics> metricsByStreamAndGroup = new ConcurrentHashMap<>();

    public RedisStreamsConnector(Redis redis, Vertx vertx, MeterRegistry registry) {
        this.redis = redis;
        this.vertx = vertx;
        this.registry = registry;
    }

    @Override
    public Flow.Publisher<? extends Message<?>> getPublisher(Config config) {
        InboundSettings settings = inboundSettings(config);
        // Copies of one channel (SmallRye's concurrency) share the meters of their stream and group.
        StreamMetrics metrics = metricsByStreamAndGroup.computeIfAbsent(
                settings.stream() + "\n" + settings.group(),
                key -> new StreamMetrics(registry, settings.stream(), settings.group()));
        InboundChannel channel = new InboundChannel(redis, vertx, settings, metrics);
        inbound.add(channel);
        return channel.messages();
    }

    @Override
    public Flow.Subscriber<? extends Message<?>> getSubscriber(Config config) {
        OutboundChannel channel = new OutboundChannel(redis, vertx, outboundSettings(config), registry);
        outbound.add(channel);
        return channel;
    }

    /**
     * Stops every incoming channel, giving in-flight handlers their shutdown timeout, and lets outgoing channels
     * write what they were handed.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        long timeout = inbound.stream()
                        .mapToLong(channel -> channel.settings().shutdownTimeoutMs())
                        .max()
                        .orElse(OUTBOUND_SHUTDOWN_MS)
                + 2_000;
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        inbound.forEach(channel -> stops.add(channel.stop().toCompletableFuture()));
        outbound.forEach(channel -> stops.add(channel.stop(timeout - 1_000).toCompletableFuture()));
        try {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(timeout, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf("Redis Streams channels did not stop cleanly within %d ms: %s", timeout, e.toString());
        }
    }

    @Override
    public HealthReport getReadiness() {
        HealthReport.HealthReportBuilder report = HealthReport.builder();
        for (InboundChannel channel : inbound) {
            report.add(channel.settings().channel(), channel.ready(), channel.status());
        }
        for (OutboundChannel channel : outbound) {
            report.add(channel.settings().channel(), channel.ready(), channel.status());
        }
        return report.build();
    }

    @Override
    public HealthReport getLiveness() {
        return HealthReport.OK_INSTANCE;
    }

    static InboundSettings inboundSettings(Config config) {
        String channel = config.getValue("channel-name", String.class);
        String stream = config.getOptionalValue("stream", String.class).orElse(channel);
        String group = config.getOptionalValue("group", String.class)
                .or(() -> ConfigProvider.getConfig().getOptionalValue("quarkus.application.name", String.class))
                .orElse(null);
        return new InboundSettings(
                channel,
                stream,
                group,
                config.getOptionalValue("consumer", String.class)
                        // Copies of a channel (SmallRye's concurrency) each read as a consumer of their own.
                        .orElseGet(() -> defaultConsumer() + "-" + channel.replace('$', '-')),
                intValue(config, "batch-size", 256),
                longValue(config, "block-ms", 1_000),
                intValue(config, "max-in-flight", 1_024),
                intValue(config, "max-attempts", 5),
                longValue(config, "retry-backoff-ms", 200),
                longValue(config, "reclaim-idle-ms", 30_000),
                longValue(config, "reclaim-interval-ms", 5_000),
                config.getOptionalValue("dead-letter-stream", String.class).orElse(Streams.deadLetter(stream)),
                longValue(config, "dead-letter-maxlen", 100_000),
                PayloadFormat.parse(
                        config.getOptionalValue("payload-format", String.class).orElse("cloudevent")),
                intValue(config, "max-entry-bytes", EventSchema.MAX_ENTRY_BYTES),
                longValue(config, "shutdown-timeout-ms", 10_000),
                config.getOptionalValue("start-from", String.class).orElse("0"),
                longValue(config, "metrics-interval-ms", 5_000),
                longValue(config, "max-handling-ms", 1_800_000),
                config.getOptionalValue("rejection-reply-stream", String.class).orElse(Streams.TRANSITIONS));
    }

    static OutboundSettings outboundSettings(Config config) {
        String channel = config.getValue("channel-name", String.class);
        return new OutboundSettings(
                channel,
                config.getOptionalValue("stream", String.class).orElse(channel),
                longValue(config, "maxlen", 100_000),
                intValue(config, "max-batch", 512),
                intValue(config, "max-pending-writes", 4_096),
                PayloadFormat.parse(
                        config.getOptionalValue("payload-format", String.class).orElse("cloudevent")),
                config.getOptionalValue("route-by-type", Boolean.class).orElse(false),
                config.getOptionalValue("stream-prefix", String.class).orElse(""),
                intValue(config, "max-entry-bytes", EventSchema.MAX_ENTRY_BYTES),
                longValue(config, "retry-timeout-ms", 30_000));
    }

    private static int intValue(Config config, String key, int fallback) {
        return config.getOptionalValue(key, Integer.class).orElse(fallback);
    }

    private static long longValue(Config config, String key, long fallback) {
        return config.getOptionalValue(key, Long.class).orElse(fallback);
    }

    static String defaultConsumer() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "consumer";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
