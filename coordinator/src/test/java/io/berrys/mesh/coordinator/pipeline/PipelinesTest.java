package io.berrys.mesh.coordinator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berrys.mesh.events.Task;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelinesTest {

    static CoordinatorConfig config(String stages) {
        return new SmallRyeConfigBuilder()
                .withMapping(CoordinatorConfig.class)
                .withSources(new PropertiesConfigSource(
                        Map.of("mesh.coordinator.pipelines.staging.stages", stages), "test", 100))
                .build()
                .getConfigMapping(CoordinatorConfig.class);
    }

    @Test
    void provisionMayOpenAPipeline() {
        Pipeline staging = Pipelines.build(config("provision,backup,migration,rollout,verification,decommission"))
                .get("staging");

        assertEquals(Task.PROVISION, staging.stages().get(0));
        assertEquals(6, staging.stages().size());
    }

    @Test
    void provisionAnywhereButFirstIsRefusedSayingSo() {
        var refused =
                assertThrows(IllegalArgumentException.class, () -> Pipelines.build(config("backup,provision,rollout")));

        assertEquals("pipeline staging: provision can only be the first stage", refused.getMessage());
    }

    @Test
    void anUnknownStageIsRefusedNamingTheStagesThereAre() {
        var refused =
                assertThrows(IllegalArgumentException.class, () -> Pipelines.build(config("rollout,restore-drill")));

        assertTrue(
                refused.getMessage().contains("stage 'restore-drill' is not one of provision, backup,"),
                refused.getMessage());
    }
}
