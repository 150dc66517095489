package io.berrys.mesh.events.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.redis.client.RedisOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServiceRedisAccountTest {

    @Test
    void theUserGoesIntoEveryEndpointThatNamesNone() {
        RedisOptions options = new RedisOptions()
                .setEndpoints(new java.util.ArrayList<>(List.of("rediss://cache.example:6379/2", "redis://10.0.0.1")));
        new ServiceRedisAccount(Optional.of("rollout-service"), Optional.empty()).customize("<default>", options);
        assertEquals(
                List.of("rediss://cache.example:6379/2?user=rollout-service", "redis://10.0.0.1?user=rollout-service"),
                options.getEndpoints());
    }

    @Test
    void anEndpointThatNamesItsUserKeepsIt() {
        assertEquals(
                "redis://admin:secret@127.0.0.1:6390",
                ServiceRedisAccount.asUser("redis://admin:secret@127.0.0.1:6390", "coordinator"));
    }

    @Test
    void otherQueryParametersStayAndAGivenUserParameterWins() {
        assertEquals(
                "redis://h:1/3?client=x&user=coordinator",
                ServiceRedisAccount.asUser("redis://h:1/3?client=x", "coordinator"));
        assertEquals("redis://h:1?user=ci", ServiceRedisAccount.asUser("redis://h:1?user=ci", "coordinator"));
    }

    @Test
    void noUserLeavesTheEndpointsAlone() {
        RedisOptions options = new RedisOptions().setEndpoints(new java.util.ArrayList<>(List.of("redis://h:1")));
        new ServiceRedisAccount(Optional.of("  "), Optional.empty()).customize("<default>", options);
        assertEquals(List.of("redis://h:1"), options.getEndpoints());
    }

    @Test
    void aBadUserNameOrMissingCaFileIsNamedInTheError() {
        RedisOptions options = new RedisOptions().setEndpoints(new java.util.ArrayList<>(List.of("redis://h:1")));
        IllegalArgumentException user = assertThrows(
                IllegalArgumentException.class,
                () -> new ServiceRedisAccount(Optional.of("a b@c"), Optional.empty()).customize("<default>", options));
        assertTrue(user.getMessage().contains("MESH_REDIS_USER"), user.getMessage());
        IllegalArgumentException ca = assertThrows(
                IllegalArgumentException.class,
                () -> new ServiceRedisAccount(Optional.empty(), Optional.of("/nonexistent/ca.crt"))
                        .customize("<default>", options));
        assertTrue(ca.getMessage().contains("MESH_REDIS_CA_FILE"), ca.getMessage());
    }
}
