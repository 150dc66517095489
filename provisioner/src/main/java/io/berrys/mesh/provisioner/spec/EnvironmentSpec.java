package io.berrys.mesh.provisioner.spec;

import java.util.List;

/**
 * One environment's infrastructure, as its YAML file declares it ({@code deploy/environments/<name>.yaml}), with
 * every default filled in. Built only by {@link SpecReader}, which has checked every rule {@link SpecRules} knows.
 */
public record EnvironmentSpec(
        String environment,
        Provider provider,
        String region,
        String drRegion,
        DriftPolicy drift,
        Network network,
        Cluster cluster,
        Database database,
        Cache cache,
        Storage storage,
        Registry registry) {

    public enum Provider {
        AWS,
        LOCAL
    }

    /** What a scheduled drift check does with what it finds. */
    public enum DriftPolicy {
        REPORT,
        REMEDIATE
    }

    public enum NatGateways {
        PER_ZONE,
        SHARED
    }

    public record Network(
            String vpcCidr,
            List<String> zones,
            NatGateways natGateways,
            List<String> publicSubnets,
            List<String> privateSubnets,
            List<String> databaseSubnets) {}

    public record Cluster(
            String name,
            String version,
            boolean publicEndpoint,
            boolean privateEndpoint,
            String roleArn,
            String nodeRoleArn,
            List<NodeGroup> nodeGroups) {}

    public record NodeGroup(String name, List<String> instanceTypes, int min, int desired, int max) {}

    public record Database(
            String identifier,
            String engineVersion,
            String instanceClass,
            int storageGb,
            boolean multiAz,
            int readReplicas,
            int backupRetentionDays,
            boolean deletionProtection,
            boolean protect,
            String masterUser,
            String name) {}

    public record Cache(
            String id,
            String nodeType,
            int replicas,
            boolean multiAz,
            boolean automaticFailover,
            boolean encryptionAtRest,
            boolean encryptionInTransit,
            boolean protect) {}

    public record Storage(
            String staticBucket,
            String backupBucket,
            int backupRetentionDays,
            boolean replicateBackups,
            String replicationRoleArn,
            boolean protect) {}

    public record Registry(String prefix, List<String> repositories, boolean scanOnPush, boolean immutableTags) {}
}
