package io.berrys.mesh.events.redis;

/** Incoming settings with short timings for tests; change what a test is about, keep the rest. */
final class TestSettings {
    String stream;
    String group = "it-group";
    String consumer;
    int batchSize = 64;
    int maxInFlight = 1024;
    int maxAttempts = 5;
    long reclaimIdleMs = 30_000;
    long shutdownTimeoutMs = 5_000;
    private String rejectionReplyStream = "none";

    static TestSettings incoming(String stream, String consumer) {
        TestSettings settings = new TestSettings();
        settings.stream = stream;
        settings.consumer = consumer;
        return settings;
    }

    TestSettings maxInFlight(int value) {
        maxInFlight = value;
        return this;
    }

    TestSettings reclaimIdleMs(long value) {
        reclaimIdleMs = value;
        return this;
    }

    TestSettings rejectionReplyStream(String value) {
        rejectionReplyStream = value;
        return this;
    }

    TestSettings shutdownTimeoutMs(long value) {
        shutdownTimeoutMs = value;
        return this;
    }

    InboundSettings build() {
        return new InboundSettings(
                "test-" + consumer,
                stream,
                group,
                consumer,
                batchSize,
                200,
                maxInFlight,
                maxAttempts,
                20,
                reclaimIdleMs,
                200,
                stream + ".dlq",
                10_000,
                PayloadFormat.CLOUDEVENT,
                262_144,
                shutdownTimeoutMs,
                "0",
                200,
                60_000,
                rejectionReplyStream);
    }
}
