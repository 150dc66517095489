package io.berrys.mesh.coordinator.auth;

import io.berrys.mesh.events.catalog.ReleaseCommand;
import java.util.Locale;

/** What a token may do: viewers read, deployers publish and steer releases, admins also approve and administer. */
public enum Role {
    VIEWER,
    DEPLOYER,
    ADMIN;

    public boolean mayPublish() {
        return this != VIEWER;
    }

    public boolean may(ReleaseCommand.Command command) {
        return switch (command) {
            case APPROVE -> this == ADMIN;
            case PAUSE, RESUME, ABORT, ROLLBACK -> this != VIEWER;
        };
    }

    public static Role parse(String value, String tokenName) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "token " + tokenName + ": role must be viewer, deployer or admin, got '" + value + "'");
        }
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
