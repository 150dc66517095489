package io.berrys.mesh.coordinator;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.events.testing.PostgresServerResource;
import io.berrys.mesh.events.testing.RedisServerResource;
import io.cloudevents.CloudEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(PostgresServerResource.class)
@QuarkusTestResource(
        value = RedisServerResource.class,
        initArgs = @ResourceArg(name = "clean-prefix", value = "it.coordinator."))
class TransitionsIT {

    @Test
    void releasePublishedOnTheStreamShowsUpInTheApi() throws Exception {
        CloudEvent published = Events.of(
                        EventType.RELEASE_PUBLISHED,
                        Services.COORDINATOR,
                        new ReleasePublished(
                                "staging",
                                "planning-system",
                                "2.3.1",
                                "registry.local/planning-system:2.3.1",
                                List.of(),
                                null,
                                false,
                                "ci"))
                .releaseId("rel-it-1")
                .build();
        Request add = Request.cmd(Command.XADD).arg(TestAgents.REQUESTS).arg("*");
        EventCodec.toFields(published).forEach((name, value) -> add.arg(name).arg(value));
        // A client of the test's own: the application's may belong to an instance an earlier test class stopped.
        Vertx vertx = Vertx.vertx();
        Redis redis = Redis.createClient(vertx, LocalServers.redisOptions());
        try {
            redis.send(add).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            redis.close();
            vertx.close();
        }

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> Api.asAdmin()
                        .queryParam("releaseId", "rel-it-1")
                        .when()
                        .get("/api/transitions")
                        .then()
                        .statusCode(200)
                        .body("[0].eventId", equalTo(published.getId()))
                        .body("[0].type", equalTo("mesh.release.published"))
                        .body("[0].data.version", equalTo("2.3.1")));
    }

    @Test
    void badLimitIsA400WithAMessage() {
        Api.asAdmin()
                .queryParam("limit", "lots")
                .when()
                .get("/api/transitions")
                .then()
                .statusCode(400)
                .body("error", containsString("limit must be a whole number"));
        Api.asAdmin()
                .queryParam("limit", "0")
                .when()
                .get("/api/transitions")
                .then()
                .statusCode(400);
    }
}
