package io.berrys.mesh.monitor.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.events.catalog.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnalysisTest {

    private static Analysis errorRate(int failureLimit, int inconclusiveLimit) {
        return new Analysis("error-rate", Condition.parse("< 0.05"), failureLimit, inconclusiveLimit, 2);
    }

    @Test
    void conditionsParseAndHold() {
        assertThat(Condition.parse("< 0.05").holds(0.01)).isTrue();
        assertThat(Condition.parse("<0.05").holds(0.05)).isFalse();
        assertThat(Condition.parse("<= 0.05").holds(0.05)).isTrue();
        assertThat(Condition.parse(">= 1").holds(1)).isTrue();
        assertThat(Condition.parse("== 1").holds(0)).isFalse();
        assertThat(Condition.parse("!= 0").holds(2)).isTrue();
        assertThat(Condition.parse("> 10").toString()).isEqualTo("> 10");
        assertThatThrownBy(() -> Condition.parse("below 5"))
                .hasMessageContaining("condition must be an operator")
                .hasMessageContaining("'below 5'");
        assertThatThrownBy(() -> Condition.parse("< lots")).hasMessageContaining("'< lots'");
    }

    @Test
    void everyMeasurementWithinTheConditionPasses() {
        Analysis analysis = errorRate(0, 1);
        analysis.measured(List.of(0.01));
        analysis.measured(List.of(0.02, 0.03));

        assertThat(analysis.decided()).isFalse();
        assertThat(analysis.result()).isEqualTo(Result.PASS);
        assertThat(analysis.summary()).startsWith("error-rate passed (2 measurements: 2 ok, 0 failed");
    }

    @Test
    void oneFailureMoreThanTheLimitFailsAtOnce() {
        Analysis analysis = errorRate(1, 1);
        analysis.measured(List.of(0.2));
        assertThat(analysis.decided()).isFalse();
        Analysis.Measurement second = analysis.measured(List.of(0.01, 0.3));

        assertThat(second.kind()).isEqualTo(Analysis.Kind.FAILURE);
        assertThat(second.detail()).isEqualTo("0.3000 is not < 0.05");
        assertThat(analysis.decided()).isTrue();
        assertThat(analysis.result()).isEqualTo(Result.FAIL);
        assertThat(analysis.summary()).contains("error-rate failed", "2 failed");
    }

    @Test
    void noDataBeyondTheLimitIsInconclusive() {
        Analysis analysis = errorRate(0, 1);
        analysis.measured(List.of());
        analysis.measured(List.of(Double.NaN));
        analysis.measured(List.of(0.01));

        assertThat(analysis.result()).isEqualTo(Result.WARNING);
        assertThat(analysis.summary()).contains("inconclusive", "2 without data");
    }

    @Test
    void onlyNoDataIsNeverAPass() {
        Analysis analysis = errorRate(0, 5);
        analysis.measured(List.of());

        assertThat(analysis.result()).isEqualTo(Result.WARNING);
    }

    @Test
    void prometheusErrorsInARowPastTheLimitFail() {
        Analysis analysis = errorRate(0, 1);
        analysis.failedToMeasure("Prometheus at http://127.0.0.1:1 unreachable");
        analysis.measured(List.of(0.01));
        analysis.failedToMeasure("unreachable");
        analysis.failedToMeasure("unreachable");
        assertThat(analysis.decided()).isFalse();
        analysis.failedToMeasure("unreachable");

        assertThat(analysis.decided()).isTrue();
        assertThat(analysis.result()).isEqualTo(Result.FAIL);
        assertThat(analysis.summary()).contains("could not be measured", "4 errors", "last: unreachable");
    }
}
