package io.berrys.mesh.provisioner.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Cache;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Cluster;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Database;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.DriftPolicy;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.NatGateways;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Network;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.NodeGroup;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Provider;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Registry;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads an environment spec from YAML, fills the defaults (the seed's production values) and checks every rule,
 * before anything talks to a cloud. All broken rules are reported at once, each with its key.
 */
public final class SpecReader {

    /** The seven Berrys platform services, one image repository each. */
    public static final List<String> PLATFORM_SERVICES = List.of(
            "agent-orchestrator",
            "planning-system",
            "model-orchestration",
            "tool-integration",
            "project-coordinator",
            "service-integration",
            "web-dashboard");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private SpecReader() {}

    /** @param source how errors name the input, usually the file name */
    public static EnvironmentSpec read(String source, String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml == null ? "" : yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new SpecInvalidException(
                    source, List.of(new Violation("(file)", "is not YAML" + where + ": " + e.getOriginalMessage())));
        }
        List<Violation> violations = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new SpecInvalidException(source, List.of(new Violation("(file)", "is empty")));
        }
        EnvironmentSpec spec = read(new Fields(root, "", violations), violations);
        // A value of the wrong type was replaced by its default, so the rules still see a whole spec.
        SpecRules.check(spec, violations);
        if (!violations.isEmpty()) {
            throw new SpecInvalidException(source, violations);
        }
        return spec;
    }

    private static EnvironmentSpec read(Fields top, List<Violation> violations) {
        String environment = top.text("environment", null);
        if (environment == null) {
            violations.add(new Violation("environment", "is required"));
            environment = "unnamed";
        }
        boolean production = environment.equals("production");
        Provider provider = choice(top, "provider", Provider.class, Provider.AWS);
        String region = top.text("region", "us-east-1");
        String drRegion = top.text("drRegion", "us-west-2");
        DriftPolicy drift = choice(top, "drift", DriftPolicy.class, DriftPolicy.REPORT);
        String prefix = "berrys-" + environment;

        Fields net = top.object("network");
        List<String> zones = net.texts("availabilityZones", List.of(region + "a", region + "b", region + "c"));
        Fields subnets = net.object("subnets");
        Network network = new Network(
                net.text("vpcCidr", "10.0.0.0/16"),
                zones,
                choice(net, "natGateways", NatGateways.class, NatGateways.PER_ZONE),
                subnets.texts("public", List.of("10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20")),
                subnets.texts("private", List.of("10.0.64.0/19", "10.0.96.0/19", "10.0.128.0/19")),
                subnets.texts("database", List.of("10.0.160.0/22", "10.0.164.0/22", "10.0.168.0/22")));
        subnets.rejectUnknown();
        net.rejectUnknown();

        Fields eks = top.object("cluster");
        Fields endpoint = eks.object("endpoint");
        boolean publicEndpoint = endpoint.bool("public", false);
        boolean privateEndpoint = endpoint.bool("private", true);
        endpoint.rejectUnknown();
        List<NodeGroup> nodeGroups = new ArrayList<>();
        List<Fields> groups = eks.objects("nodeGroups");
        if (groups == null) {
            nodeGroups.add(new NodeGroup("general", List.of("m5.large"), 3, 3, 10));
        } else {
            for (Fields group : groups) {
                String name = group.text("name", null);
                if (name == null) {
                    violations.add(new Violation(group.key("name"), "is required"));
                    name = "unnamed";
                }
                int min = group.integer("min", 1, 0, 1000);
                int max = group.integer("max", Math.max(min, 3), 1, 1000);
                int desired = group.integer("desired", min, 0, 1000);
                nodeGroups.add(
                        new NodeGroup(name, group.texts("instanceTypes", List.of("m5.large")), min, desired, max));
                group.rejectUnknown();
            }
        }
        Cluster cluster = new Cluster(
                eks.text("name", prefix),
                eks.text("version", "1.30"),
                publicEndpoint,
                privateEndpoint,
                eks.text("roleArn", "arn:aws:iam::123456789012:role/" + prefix + "-eks-cluster"),
                eks.text("nodeRoleArn", "arn:aws:iam::123456789012:role/" + prefix + "-eks-nodes"),
                List.copyOf(nodeGroups));
        eks.rejectUnknown();

        Fields rds = top.object("database");
        boolean deletionProtection = rds.bool("deletionProtection", production);
        Database database = new Database(
                rds.text("identifier", prefix + "-postgres"),
                rds.text("engineVersion", "15"),
                rds.text("instanceClass", "db.t3.large"),
                rds.integer("storageGb", 100, 20, 65536),
                rds.bool("multiAz", true),
                rds.integer("readReplicas", 1, 0, 5),
                rds.integer("backupRetentionDays", 7, 0, 35),
                deletionProtection,
                rds.bool("protect", production),
                rds.text("masterUser", "berrys"),
                rds.text("name", "berrys"));
        rds.rejectUnknown();

        Fields redis = top.object("cache");
        Cache cache = new Cache(
                redis.text("id", prefix + "-redis"),
                redis.text("nodeType", "cache.t3.medium"),
                redis.integer("replicas", 1, 0, 5),
                redis.bool("multiAz", true),
                redis.bool("automaticFailover", true),
                redis.bool("encryptionAtRest", true),
                redis.bool("encryptionInTransit", true),
                redis.bool("protect", false));
        redis.rejectUnknown();

        Fields s3 = top.object("storage");
        Storage storage = new Storage(
                s3.text("staticBucket", prefix + "-static"),
                s3.text("backupBucket", prefix + "-backups"),
                s3.integer("backupRetentionDays", 30, 1, 3650),
                s3.bool("replicateBackups", true),
                s3.text("replicationRoleArn", "arn:aws:iam::123456789012:role/" + prefix + "-s3-replication"),
                s3.bool("protect", production));
        s3.rejectUnknown();

        Fields ecr = top.object("registry");
        Registry registry = new Registry(
                ecr.text("prefix", "berrys"),
                ecr.texts("repositories", PLATFORM_SERVICES),
                ecr.bool("scanOnPush", true),
                ecr.bool("immutableTags", true));
        ecr.rejectUnknown();
        top.rejectUnknown();

        return new EnvironmentSpec(
                environment, provider, region, drRegion, drift, network, cluster, database, cache, storage, registry);
    }

    private static <E extends Enum<E>> E choice(Fields fields, String name, Class<E> type, E fallback) {
        String text = fields.text(name, null);
        if (text == null) {
            return fallback;
        }
        String constant = text.trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (E value : type.getEnumConstants()) {
            if (value.name().equals(constant)) {
                return value;
            }
        }
        List<String> allowed = new ArrayList<>();
        for (E value : type.getEnumConstants()) {
            allowed.add(value.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        fields.violation(name, "must be one of " + String.join(", ", allowed) + ", got '" + text + "'");
        return fallback;
    }
}
