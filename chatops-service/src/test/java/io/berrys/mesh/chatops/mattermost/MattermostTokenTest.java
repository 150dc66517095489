package io.berrys.mesh.chatops.mattermost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MattermostTokenTest {

    final MattermostToken tokens = new MattermostToken(Map.of("mesh", "xr3j5x3p4pfjpfeq0fqkq8mwdo", "deploy", "other"));

    @Test
    void theTokenOfTheCommandIsAccepted() {
        assertThat(tokens.verify("/mesh", "xr3j5x3p4pfjpfeq0fqkq8mwdo")).isTrue();
        assertThat(tokens.verify("mesh", "xr3j5x3p4pfjpfeq0fqkq8mwdo")).isTrue();
    }

    @Test
    void aWrongTokenAnotherCommandsTokenOrAnUnknownCommandIsRefused() {
        assertThat(tokens.verify("/mesh", "xr3j5x3p4pfjpfeq0fqkq8mwdX")).isFalse();
        assertThat(tokens.verify("/mesh", "other")).isFalse();
        assertThat(tokens.verify("/nope", "xr3j5x3p4pfjpfeq0fqkq8mwdo")).isFalse();
        assertThat(tokens.verify("/mesh", null)).isFalse();
        assertThat(tokens.verify(null, "other")).isFalse();
    }

    @Test
    void aCommandWithoutItsTokenIsAConfigurationError() {
        assertThatThrownBy(() -> new MattermostToken(Map.of("mesh", " ")))
                .hasMessage("a Mattermost slash command is configured without its token");
        assertThatThrownBy(() -> new MattermostToken(Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
