package io.berrys.mesh.events.catalog;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Payload of {@code mesh.release.command}: a person (chat-ops, API) steers a release; who asked is always kept. */
public record ReleaseCommand(Command command, String requestedBy, String reason) {

    public enum Command {
        PAUSE,
        RESUME,
        ABORT,
        APPROVE,
        ROLLBACK;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Command fromWire(String value) {
            for (Command command : values()) {
                if (command.wire().equals(value)) {
                    return command;
                }
            }
            throw new IllegalArgumentException(
                    "command must be one of pause, resume, abort, approve, rollback; got '" + value + "'");
        }
    }

    public ReleaseCommand {
        Require.present(command, "command");
        Require.text(requestedBy, "requestedBy");
    }
}
