package io.berrys.mesh.chatops.command;

/**
 * What a person asked for in chat, the same for every platform: {@code /mesh deploy ...} in Slack or Mattermost,
 * {@code !mesh deploy ...} in Matrix.
 */
public sealed interface ChatCommand {

    /** {@code deploy SERVICE VERSION to ENV}: a release of one service, its image from the environment's pattern. */
    record Deploy(String service, String version, String environment) implements ChatCommand {}

    /** {@code status [RELEASE|SERVICE]}: one release, a service's latest, or the newest releases. */
    record Status(Target target) implements ChatCommand {}

    /** {@code list [ENV]}. */
    record ListReleases(String environment) implements ChatCommand {}

    /** {@code approve | pause | resume | abort RELEASE}. */
    record Control(ReleaseAction action, String release) implements ChatCommand {}

    /** {@code rollback RELEASE|SERVICE in ENV}. */
    record Rollback(Target target, String environment) implements ChatCommand {}

    /** {@code env plan | drift ENV}: read-only provisioner runs; applies stay with CI and the CLI. */
    record Environment(EnvironmentAction action, String environment) implements ChatCommand {}

    record Help() implements ChatCommand {}

    enum ReleaseAction {
        APPROVE,
        PAUSE,
        RESUME,
        ABORT
    }

    enum EnvironmentAction {
        PLAN,
        DRIFT
    }

    /** A release by its id ({@code rel-...}), or a service by its name. */
    record Target(String release, String service) {
        public static Target release(String id) {
            return new Target(id, null);
        }

        public static Target service(String name) {
            return new Target(null, name);
        }

        public boolean isRelease() {
            return release != null;
        }
    }
}
