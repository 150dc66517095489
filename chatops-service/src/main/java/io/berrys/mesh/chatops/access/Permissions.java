package io.berrys.mesh.chatops.access;

import io.berrys.mesh.chatops.command.ChatCommand;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may do what, per environment, decided here once for every platform. A user is a chat identity (a Slack or
 * Mattermost user id, a Matrix id, an e-mail address) with a role per environment. An environment may name its
 * approvers: then only they approve there, whatever their role (production's gate). Someone not listed may do
 * nothing, and is told only that.
 *
 * @param roles identity to environment to role; the environment {@code *} stands for every environment
 * @param approvers environment to the identities that may approve there
 */
public record Permissions(Map<String, Map<String, Role>> roles, Map<String, Set<String>> approvers) {

    public Permissions {
        roles = Map.copyOf(roles);
        approvers = Map.copyOf(approvers);
    }

    public sealed interface Decision permits Allowed, Denied {}

    public record Allowed() implements Decision {}

    /** @param reason for the person who asked: what they lack, nothing about anyone else */
    public record Denied(String reason) implements Decision {}

    /**
     * @param environment where the command acts; for a command naming a release, the release's environment, which
     *     the caller looks up first
     */
    public Decision decide(String identity, ChatCommand command, String environment) {
        Optional<Role> role = role(identity, environment);
        if (role.isEmpty()) {
            return new Denied("you may not use the mesh from chat" + (environment == null ? "" : " in " + environment)
                    + "; ask an admin to add you");
        }
        if (command instanceof ChatCommand.Control control && control.action() == ChatCommand.ReleaseAction.APPROVE) {
            Set<String> named = approvers.get(environment);
            if (named != null && !named.isEmpty()) {
                return named.contains(identity)
                        ? new Allowed()
                        : new Denied("only the named approvers of " + environment + " may approve there");
            }
            return at(role.get(), Role.ADMIN, "approve", environment);
        }
        Role needed = command instanceof ChatCommand.Deploy
                        || command instanceof ChatCommand.Rollback
                        || command instanceof ChatCommand.Control
                ? Role.DEPLOYER
                : Role.VIEWER;
        return at(role.get(), needed, verb(command), environment);
    }

    private static Decision at(Role has, Role needed, String verb, String environment) {
        return has.compareTo(needed) >= 0
                ? new Allowed()
                : new Denied("you are a " + has.name().toLowerCase(java.util.Locale.ROOT)
                        + (environment == null ? "" : " in " + environment)
                        + "; to " + verb + " takes " + (needed == Role.ADMIN ? "an " : "a ")
                        + needed.name().toLowerCase(java.util.Locale.ROOT));
    }

    private Optional<Role> role(String identity, String environment) {
        Map<String, Role> ofUser = identity == null ? null : roles.get(identity);
        if (ofUser == null) {
            return Optional.empty();
        }
        Role specific = environment == null ? null : ofUser.get(environment);
        return Optional.ofNullable(specific != null ? specific : ofUser.get("*"));
    }

    private static String verb(ChatCommand command) {
        if (command instanceof ChatCommand.Deploy) {
            return "deploy";
        }
        if (command instanceof ChatCommand.Rollback) {
            return "roll back";
        }
        if (command instanceof ChatCommand.Control control) {
            return control.action().name().toLowerCase(java.util.Locale.ROOT);
        }
        return "read releases";
    }
}
