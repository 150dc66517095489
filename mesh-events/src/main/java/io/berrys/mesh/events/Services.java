package io.berrys.mesh.events;

/** Service names: consumer group names and CloudEvents sources ({@code /mesh/<service>}) derive from them. */
public final class Services {
    public static final String COORDINATOR = "coordinator";
    public static final String ROLLOUT = "rollout-service";
    public static final String MIGRATION = "migration-service";
    public static final String BACKUP = "backup-service";
    public static final String MONITOR = "monitor-service";
    public static final String PROVISIONER = "provisioner";

    private Services() {}

    public static String source(String service) {
        return "/mesh/" + service;
    }
}
