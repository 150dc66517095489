package io.berrys.mesh.provisioner.spec;

import io.berrys.mesh.provisioner.spec.EnvironmentSpec.NodeGroup;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The rules a spec must meet that a single key cannot show: how its values fit together, and AWS's limits. */
final class SpecRules {

    private static final Pattern ENVIRONMENT = Pattern.compile("[a-z][a-z0-9-]{0,29}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov)?-[a-z]+-\\d");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9-]{0,39}");
    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");
    private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
    private static final Pattern EKS_VERSION = Pattern.compile("1\\.(2[89]|3[0-4])");

    /** Instance sizes RDS PostgreSQL and ElastiCache Redis offer in the families the platform may use. */
    private static final Set<String> DB_CLASSES = classes(
            "db.",
            Map.of(
                    "t3", List.of("micro", "small", "medium", "large", "xlarge", "2xlarge"),
                    "t4g", List.of("micro", "small", "medium", "large", "xlarge", "2xlarge"),
                    "m5",
                            List.of(
                                    "large",
                                    "xlarge",
                                    "2xlarge",
                                    "4xlarge",
                                    "8xlarge",
                                    "12xlarge",
                                    "16xlarge",
                                    "24xlarge"),
                    "m6g", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
                    "m6i", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
                    "r5",
                            List.of(
                                    "large",
                                    "xlarge",
                                    "2xlarge",
                                    "4xlarge",
                                    "8xlarge",
                                    "12xlarge",
                                    "16xlarge",
                                    "24xlarge"),
                    "r6g", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
                    "r6i", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")));

    private static final Set<String> CACHE_TYPES = classes(
            "cache.",
            Map.of(
                    "t3", List.of("micro", "small", "medium"),
                    "t4g", List.of("micro", "small", "medium"),
                    "m5", List.of("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
                    "m6g", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
                    "r5", List.of("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
                    "r6g", List.of("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")));

    private SpecRules() {}

    private static Set<String> classes(String prefix, Map<String, List<String>> sizes) {
        Set<String> all = new HashSet<>();
        sizes.forEach((family, list) -> list.forEach(size -> all.add(prefix + family + "." + size)));
        return Set.copyOf(all);
    }

    static void check(EnvironmentSpec spec, List<Violation> out) {
        if (!ENVIRONMENT.matcher(spec.environment()).matches()) {
            out.add(new Violation(
                    "environment",
                    "must be 2-31 lowercase letters, digits or '-', starting with a letter and not ending with '-'"));
        }
        if (!REGION.matcher(spec.region()).matches()) {
            out.add(new Violation("region", "'" + spec.region() + "' is not an AWS region name such as us-east-1"));
        }
        if (!REGION.matcher(spec.drRegion()).matches()) {
            out.add(new Violation("drRegion", "'" + spec.drRegion() + "' is not an AWS region name such as us-west-2"));
        } else if (spec.drRegion().equals(spec.region())) {
            out.add(new Violation("drRegion", "must differ from region: a copy in the same region survives no outage"));
        }
        network(spec, out);
        cluster(spec, out);
        database(spec, out);
        cache(spec, out);
        storage(spec, out);
        registry(spec, out);
    }

    private static void network(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Network network = spec.network();
        Optional<Cidr> vpc = Cidr.parse(network.vpcCidr());
        if (vpc.isEmpty()) {
            out.add(new Violation(
                    "network.vpcCidr", "'" + network.vpcCidr() + "' is not an IPv4 block such as 10.0.0.0/16"));
        } else if (vpc.get().prefix() < 16 || vpc.get().prefix() > 28) {
            out.add(new Violation(
                    "network.vpcCidr",
                    "a VPC block must be between /16 and /28, got /" + vpc.get().prefix()));
        }
        List<String> zones = network.zones();
        if (new HashSet<>(zones).size() != zones.size()) {
            out.add(new Violation("network.availabilityZones", "lists a zone twice"));
        }
        if (zones.size() < 2) {
            out.add(new Violation(
                    "network.availabilityZones",
                    "needs at least 2 zones (Multi-AZ databases and caches and EKS need two), got " + zones.size()));
        }
        for (int i = 0; i < zones.size(); i++) {
            if (!zones.get(i).startsWith(spec.region())) {
                out.add(new Violation(
                        "network.availabilityZones[" + i + "]",
                        "'" + zones.get(i) + "' is not a zone of region " + spec.region()));
            }
        }
        Map<String, Cidr> blocks = new LinkedHashMap<>();
        Map<String, List<String>> tiers = new LinkedHashMap<>();
        tiers.put("public", network.publicSubnets());
        tiers.put("private", network.privateSubnets());
        tiers.put("database", network.databaseSubnets());
        tiers.forEach((tier, subnets) -> {
            String key = "network.subnets." + tier;
            if (subnets.size() != zones.size()) {
                out.add(new Violation(
                        key, "needs one block per availability zone (" + zones.size() + "), got " + subnets.size()));
            }
            for (int i = 0; i < subnets.size(); i++) {
                String itemKey = key + "[" + i + "]";
                Optional<Cidr> block = Cidr.parse(subnets.get(i));
                if (block.isEmpty()) {
                    out.add(new Violation(
                            itemKey, "'" + subnets.get(i) + "' is not an IPv4 block such as 10.0.1.0/24"));
                    continue;
                }
                if (block.get().prefix() > 28) {
                    out.add(new Violation(
                            itemKey,
                            "a subnet must be /28 or larger, got /"
                                    + block.get().prefix()));
                }
                if (vpc.isPresent() && !vpc.get().contains(block.get())) {
                    out.add(new Violation(itemKey, subnets.get(i) + " is outside the VPC " + network.vpcCidr()));
                }
                for (Map.Entry<String, Cidr> other : blocks.entrySet()) {
                    if (other.getValue().overlaps(block.get())) {
                        out.add(new Violation(itemKey, subnets.get(i) + " overlaps " + other.getKey()));
                    }
                }
                blocks.put(itemKey + " (" + subnets.get(i) + ")", block.get());
            }
        });
    }

    private static void cluster(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Cluster cluster = spec.cluster();
        if (!IDENTIFIER.matcher(cluster.name()).matches()) {
            out.add(new Violation(
                    "cluster.name", "must be lowercase letters, digits or '-', up to 40, starting with a letter"));
        }
        if (!EKS_VERSION.matcher(cluster.version()).matches()) {
            out.add(new Violation(
                    "cluster.version",
                    "'" + cluster.version() + "' is not an EKS version this provisioner supports (1.28 to 1.34)"));
        }
        if (!cluster.publicEndpoint() && !cluster.privateEndpoint()) {
            out.add(new Violation(
                    "cluster.endpoint", "at least one of public and private must be true, or nothing reaches the API"));
        }
        for (String arn : List.of(cluster.roleArn(), cluster.nodeRoleArn())) {
            if (!arn.startsWith("arn:aws:iam::")) {
                out.add(new Violation(
                        arn.equals(cluster.roleArn()) ? "cluster.roleArn" : "cluster.nodeRoleArn",
                        "must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"));
            }
        }
        if (cluster.nodeGroups().isEmpty()) {
            out.add(new Violation("cluster.nodeGroups", "needs at least one node group"));
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < cluster.nodeGroups().size(); i++) {
            NodeGroup group = cluster.nodeGroups().get(i);
            String key = "cluster.nodeGroups[" + i + "]";
            if (!names.add(group.name())) {
                out.add(new Violation(key + ".name", "'" + group.name() + "' is used by another node group"));
            }
            if (!IDENTIFIER.matcher(group.name()).matches()) {
                out.add(new Violation(
                        key + ".name", "must be lowercase letters, digits or '-', starting with a letter"));
            }
            if (group.min() > group.max()) {
                out.add(new Violation(key, "min (" + group.min() + ") is greater than max (" + group.max() + ")"));
            } else if (group.desired() < group.min() || group.desired() > group.max()) {
                out.add(new Violation(
                        key + ".desired",
                        "must be between min (" + group.min() + ") and max (" + group.max() + "), got "
                                + group.desired()));
            }
            if (group.instanceTypes().isEmpty()) {
                out.add(new Violation(key + ".instanceTypes", "needs at least one instance type"));
            }
            for (int t = 0; t < group.instanceTypes().size(); t++) {
                String type = group.instanceTypes().get(t);
                if (!INSTANCE_TYPE.matcher(type).matches() || type.startsWith("db.") || type.startsWith("cache.")) {
                    out.add(new Violation(
                            key + ".instanceTypes[" + t + "]",
                            "'" + type + "' is not an EC2 instance type such as m5.large"));
                }
            }
        }
    }

    private static void database(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Database db = spec.database();
        if (!IDENTIFIER.matcher(db.identifier()).matches()
                || db.identifier().endsWith("-")
                || db.identifier().contains("--")) {
            out.add(new Violation(
                    "database.identifier", "must be lowercase letters, digits or single '-', starting with a letter"));
        }
        if (!DB_CLASSES.contains(db.instanceClass())) {
            out.add(new Violation(
                    "database.instanceClass",
                    "unknown instance class '" + db.instanceClass()
                            + "'; RDS PostgreSQL offers db.t3.large, db.m6i.xlarge, db.r6g.2xlarge and the like"));
        }
        if (!db.engineVersion().matches("1[2-7](\\.\\d+)?")) {
            out.add(new Violation(
                    "database.engineVersion",
                    "'" + db.engineVersion() + "' is not a PostgreSQL major version RDS offers (12 to 17)"));
        }
        if (db.readReplicas() > 0 && db.backupRetentionDays() == 0) {
            out.add(new Violation(
                    "database.backupRetentionDays",
                    "must be at least 1 when readReplicas is set: RDS makes replicas from backups"));
        }
        if (db.protect() && !db.deletionProtection() && spec.environment().equals("production")) {
            out.add(new Violation("database.deletionProtection", "must be true for a protected production database"));
        }
        if (!db.masterUser().matches("[a-zA-Z][a-zA-Z0-9_]{0,15}")
                || db.masterUser().equalsIgnoreCase("postgres")) {
            out.add(new Violation(
                    "database.masterUser",
                    "must be 1-16 letters, digits or '_', start with a letter and not be 'postgres'"));
        }
        if (!db.name().matches("[a-zA-Z][a-zA-Z0-9_]{0,62}")) {
            out.add(new Violation("database.name", "must be letters, digits or '_', starting with a letter"));
        } else if (spec.provider() == EnvironmentSpec.Provider.LOCAL
                && db.name().length() + 1 + spec.environment().length() > 63) {
            // One local server holds every environment, so the database and its role are <name>_<environment>,
            // and PostgreSQL cuts names at 63 bytes.
            out.add(new Violation(
                    "database.name",
                    "with the local provider, '" + db.name() + "_" + spec.environment()
                            + "' must be at most 63 characters"));
        }
    }

    private static void cache(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Cache cache = spec.cache();
        if (!IDENTIFIER.matcher(cache.id()).matches() || cache.id().endsWith("-")) {
            out.add(new Violation(
                    "cache.id", "must be lowercase letters, digits or '-', up to 40, starting with a letter"));
        }
        if (!CACHE_TYPES.contains(cache.nodeType())) {
            out.add(new Violation(
                    "cache.nodeType",
                    "unknown node type '" + cache.nodeType()
                            + "'; ElastiCache Redis offers cache.t3.medium, cache.r6g.large and the like"));
        }
        if (cache.automaticFailover() && cache.replicas() < 1) {
            out.add(new Violation("cache.automaticFailover", "needs at least 1 replica to fail over to"));
        }
        if (cache.multiAz() && !cache.automaticFailover()) {
            out.add(new Violation("cache.multiAz", "needs automaticFailover: true"));
        }
        if (cache.multiAz() && spec.network().zones().size() < 2) {
            out.add(new Violation("cache.multiAz", "needs at least 2 availability zones"));
        }
        if (!cache.encryptionInTransit()) {
            out.add(new Violation(
                    "cache.encryptionInTransit",
                    "must be true: the auth token the mesh keeps in Secrets Manager needs TLS"));
        }
    }

    private static void storage(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Storage storage = spec.storage();
        List<String> names = new ArrayList<>(List.of(storage.staticBucket(), storage.backupBucket()));
        for (String key : List.of("staticBucket", "backupBucket")) {
            String name = key.equals("staticBucket") ? storage.staticBucket() : storage.backupBucket();
            if (!BUCKET.matcher(name).matches() || name.contains("..")) {
                out.add(new Violation(
                        "storage." + key,
                        "'" + name + "' is not an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"));
            } else if (name.length() > 60 && key.equals("backupBucket") && storage.replicateBackups()) {
                out.add(new Violation(
                        "storage.backupBucket",
                        "must be at most 60 characters: its disaster-recovery copy is named <name>-dr"));
            }
        }
        if (names.get(0).equals(names.get(1))) {
            out.add(new Violation("storage.backupBucket", "must differ from staticBucket"));
        }
    }

    private static void registry(EnvironmentSpec spec, List<Violation> out) {
        EnvironmentSpec.Registry registry = spec.registry();
        Set<String> seen = new HashSet<>();
        if (!REPOSITORY.matcher(registry.prefix()).matches()) {
            out.add(new Violation("registry.prefix", "must be lowercase letters, digits, '.', '_' or '-'"));
        }
        for (int i = 0; i < registry.repositories().size(); i++) {
            String name = registry.repositories().get(i);
            if (!REPOSITORY.matcher(name).matches()) {
                out.add(new Violation(
                        "registry.repositories[" + i + "]", "'" + name + "' is not an ECR repository name"));
            }
            if (!seen.add(name)) {
                out.add(new Violation("registry.repositories[" + i + "]", "'" + name + "' is listed twice"));
            }
        }
    }
}
