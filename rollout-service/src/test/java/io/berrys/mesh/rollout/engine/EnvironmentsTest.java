package io.berrys.mesh.rollout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.rollout.kube.RolloutRejected;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironmentsTest {

    @Test
    void stepsThatRiseToOneHundredAreAccepted() {
        assertThat(Environments.validateSteps("staging", List.of(10, 25, 50, 100)))
                .containsExactly(10, 25, 50, 100);
        assertThat(Environments.validateSteps("staging", List.of(100))).containsExactly(100);
    }

    @Test
    void stepsThatStopShortOfOneHundredAreRejected() {
        assertThatThrownBy(() -> Environments.validateSteps("staging", List.of(10, 50)))
                .isInstanceOf(RolloutRejected.class)
                .hasMessage("traffic steps for staging must end at 100, got [10, 50]");
        assertThatThrownBy(() -> Environments.validateSteps("staging", List.of()))
                .isInstanceOf(RolloutRejected.class);
    }

    @Test
    void stepsMustRiseAndStartAboveZero() {
        assertThatThrownBy(() -> Environments.validateSteps("prod", List.of(50, 25, 100)))
                .hasMessage("traffic steps for prod must increase, got [50, 25, 100]");
        assertThatThrownBy(() -> Environments.validateSteps("prod", List.of(0, 100)))
                .hasMessage("traffic steps for prod must be above 0, got [0, 100]");
    }
}
