package io.berrys.mesh.chatops.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.berrys.mesh.chatops.access.Permissions.Allowed;
import io.berrys.mesh.chatops.access.Permissions.Denied;
import io.berrys.mesh.chatops.command.CommandParser;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PermissionsTest {

    final Permissions permissions = new Permissions(
            Map.of(
                    "U-ana", Map.of("*", Role.DEPLOYER),
                    "U-ben", Map.of("staging", Role.DEPLOYER, "production", Role.VIEWER),
                    "@oncall:berrys.local", Map.of("*", Role.DEPLOYER),
                    "U-root", Map.of("*", Role.ADMIN)),
            Map.of("production", Set.of("@oncall:berrys.local")));

    Permissions.Decision decide(String user, String text, String environment) {
        return permissions.decide(user, CommandParser.parse(text), environment);
    }

    @Test
    void aDeployerDeploysAndRollsBackWhereTheRoleHolds() {
        assertThat(decide("U-ana", "deploy planning-system 1.0.0 to production", "production"))
                .isInstanceOf(Allowed.class);
        assertThat(decide("U-ben", "deploy planning-system 1.0.0 to staging", "staging"))
                .isInstanceOf(Allowed.class);
        assertThat(decide("U-ben", "rollback planning-system in production", "production"))
                .isEqualTo(new Denied("you are a viewer in production; to roll back takes a deployer"));
        assertThat(decide("U-ben", "status planning-system", "production")).isInstanceOf(Allowed.class);
    }

    @Test
    void onlyTheNamedApproversApproveInProductionWhateverTheirRole() {
        assertThat(decide("@oncall:berrys.local", "approve rel-1", "production"))
                .isInstanceOf(Allowed.class);
        assertThat(decide("U-ana", "approve rel-1", "production"))
                .isEqualTo(new Denied("only the named approvers of production may approve there"));
        assertThat(decide("U-root", "approve rel-1", "production")).isInstanceOf(Denied.class);
        // Where no approvers are named, approving takes an admin.
        assertThat(decide("U-root", "approve rel-1", "staging")).isInstanceOf(Allowed.class);
        assertThat(decide("U-ana", "approve rel-1", "staging"))
                .isEqualTo(new Denied("you are a deployer in staging; to approve takes an admin"));
    }

    @Test
    void someoneUnknownIsToldOnlyThatTheyMayNotAct() {
        assertThat(decide("U-eve", "status", null))
                .isEqualTo(new Denied("you may not use the mesh from chat; ask an admin to add you"));
        assertThat(decide(null, "list staging", "staging"))
                .isEqualTo(new Denied("you may not use the mesh from chat in staging; ask an admin to add you"));
    }
}
