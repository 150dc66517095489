package io.berrys.mesh.provisioner.model;

import io.berrys.mesh.provisioner.spec.EnvironmentSpec;
import io.berrys.mesh.provisioner.spec.EnvironmentSpec.NatGateways;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The resources an environment spec stands for, with their logical ids: on AWS, or on this machine for the
 * {@code local} provider. Pure: the same spec always gives the
 * same resources, so a plan compares like with like. The layout is the seed's: three subnet tiers per zone, NAT
 * per zone (or one), security groups that let only the nodes reach the database and Redis, and secrets that hold
 * the URLs the platform reads.
 */
public final class Blueprint {

    public static final String KMS_KEY = "kms-key/main";
    public static final String DR_KMS_KEY = "kms-key/dr";
    public static final String VPC = "vpc/main";
    public static final String GATEWAY = "internet-gateway/main";
    public static final String NODES_GROUP = "security-group/nodes";
    public static final String DATABASE_GROUP = "security-group/database";
    public static final String CACHE_GROUP = "security-group/cache";
    public static final String CLUSTER = "eks-cluster/main";
    public static final String DB_SUBNETS = "db-subnet-group/main";
    public static final String DATABASE = "db-instance/primary";
    public static final String CACHE_SUBNETS = "cache-subnet-group/main";
    public static final String CACHE = "cache-replication-group/main";
    public static final String DATABASE_PASSWORD = "secret/database-password";
    public static final String REDIS_TOKEN = "secret/redis-auth-token";
    public static final String DATABASE_CREDENTIALS = "secret/database-credentials";
    public static final String REDIS_CREDENTIALS = "secret/redis-credentials";
    public static final String STATIC_BUCKET = "s3-bucket/static";
    public static final String BACKUP_BUCKET = "s3-bucket/backups";
    public static final String DR_BUCKET = "s3-bucket/backups-dr";

    public static final String NAMESPACE = "namespace/main";
    public static final String DATABASE_ROLE = "pg-role/main";
    public static final String LOCAL_DATABASE = "pg-database/main";

    /** Sessions the local database and its role accept, as a server shared by every environment needs a cap. */
    public static final long LOCAL_CONNECTION_LIMIT = 50;

    private Blueprint() {}

    public static List<Resource> of(EnvironmentSpec spec) {
        return switch (spec.provider()) {
            case AWS -> aws(spec);
            case LOCAL -> local(spec);
        };
    }

    /**
     * The same spec on this machine: the cluster becomes a namespace named for the environment, the database a
     * database and its owner role in the local PostgreSQL (named {@code <database name>_<environment>}, as one
     * server holds every environment), the secrets Kubernetes Secrets in the namespace, the buckets buckets of the
     * local S3 server. The network, node groups, cache and registry have no local counterpart; the Redis
     * credentials name the local Redis.
     */
    public static List<Resource> local(EnvironmentSpec spec) {
        Map<String, Resource> out = new LinkedHashMap<>();
        String env = spec.environment();
        var db = spec.database();
        String databaseName = (db.name() + "_" + env).replace('-', '_');
        add(out, Resource.of(NAMESPACE, Kind.NAMESPACE, false, "name", env));
        add(
                out,
                localSecret(
                        DATABASE_PASSWORD,
                        // Kept with a protected database: its role logs in with this password.
                        db.protect(),
                        "database-password",
                        "generated password of the role " + databaseName,
                        "password",
                        List.of()));
        add(
                out,
                Resource.of(
                        DATABASE_ROLE,
                        Kind.PG_ROLE,
                        db.protect(),
                        "name",
                        databaseName,
                        "login",
                        true,
                        "connectionLimit",
                        LOCAL_CONNECTION_LIMIT,
                        "passwordSecret",
                        DATABASE_PASSWORD));
        add(
                out,
                Resource.of(
                        LOCAL_DATABASE,
                        Kind.PG_DATABASE,
                        db.protect(),
                        "name",
                        databaseName,
                        "owner",
                        DATABASE_ROLE,
                        "connectionLimit",
                        LOCAL_CONNECTION_LIMIT));
        add(
                out,
                localSecret(
                        DATABASE_CREDENTIALS,
                        false,
                        "database-credentials",
                        "URL of the platform's PostgreSQL",
                        "database-url",
                        List.of(LOCAL_DATABASE, DATABASE_ROLE, DATABASE_PASSWORD)));
        add(
                out,
                localSecret(
                        REDIS_CREDENTIALS,
                        false,
                        "redis-credentials",
                        "URL of the platform's Redis",
                        "redis-url",
                        List.of()));
        var storage = spec.storage();
        add(out, localBucket(STATIC_BUCKET, storage.staticBucket(), spec.region(), 0, false));
        add(
                out,
                localBucket(
                        BACKUP_BUCKET,
                        storage.backupBucket(),
                        spec.region(),
                        storage.backupRetentionDays(),
                        storage.protect()));
        return List.copyOf(out.values());
    }

    private static Resource localSecret(
            String id, boolean protect, String name, String description, String value, List<String> from) {
        return Resource.of(
                id,
                Kind.SECRET,
                protect,
                "name",
                name,
                "namespace",
                NAMESPACE,
                "description",
                description,
                "value",
                value,
                "from",
                from);
    }

    private static Resource localBucket(String id, String name, String region, int expireDays, boolean protect) {
        return Resource.of(
                id,
                Kind.S3_BUCKET,
                protect,
                "name",
                name,
                "region",
                region,
                "versioning",
                true,
                "expireDays",
                (long) expireDays,
                "kmsKey",
                "",
                "replicateTo",
                "",
                "replicationRole",
                "");
    }

    public static List<Resource> aws(EnvironmentSpec spec) {
        Map<String, Resource> out = new LinkedHashMap<>();
        String env = spec.environment();
        String prefix = "berrys-" + env;
        var network = spec.network();

        add(
                out,
                Resource.of(
                        KMS_KEY,
                        Kind.KMS_KEY,
                        false,
                        "region",
                        spec.region(),
                        "alias",
                        "alias/" + prefix,
                        "description",
                        "Berrys " + env + ": databases, cache, backups, secrets",
                        "rotation",
                        true));
        add(out, Resource.of(VPC, Kind.VPC, false, "cidr", network.vpcCidr(), "dnsHostnames", true));
        add(out, Resource.of(GATEWAY, Kind.INTERNET_GATEWAY, false, "vpc", VPC));

        List<String> publicSubnets = new ArrayList<>();
        List<String> privateSubnets = new ArrayList<>();
        List<String> databaseSubnets = new ArrayList<>();
        for (int i = 0; i < network.zones().size(); i++) {
            String zone = network.zones().get(i);
            String suffix = zone.substring(zone.length() - 1);
            publicSubnets.add(
                    subnet(out, "public", suffix, network.publicSubnets().get(i), zone, true));
            privateSubnets.add(
                    subnet(out, "private", suffix, network.privateSubnets().get(i), zone, false));
            databaseSubnets.add(
                    subnet(out, "database", suffix, network.databaseSubnets().get(i), zone, false));
        }

        add(
                out,
                Resource.of(
                        "route-table/public",
                        Kind.ROUTE_TABLE,
                        false,
                        "vpc",
                        VPC,
                        "defaultRoute",
                        GATEWAY,
                        "subnets",
                        publicSubnets));
        boolean shared = network.natGateways() == NatGateways.SHARED;
        for (int i = 0; i < network.zones().size(); i++) {
            String zone = network.zones().get(i);
            String suffix = zone.substring(zone.length() - 1);
            String nat = shared ? "nat-gateway/shared" : "nat-gateway/" + suffix;
            if (!shared || i == 0) {
                String address = shared ? "elastic-ip/nat-shared" : "elastic-ip/nat-" + suffix;
                add(out, Resource.of(address, Kind.ELASTIC_IP, false, "domain", "vpc"));
                add(out, Resource.of(nat, Kind.NAT_GATEWAY, false, "subnet", publicSubnets.get(i), "address", address));
            }
            add(
                    out,
                    Resource.of(
                            "route-table/private-" + suffix,
                            Kind.ROUTE_TABLE,
                            false,
                            "vpc",
                            VPC,
                            "defaultRoute",
                            nat,
                            "subnets",
                            List.of(privateSubnets.get(i))));
        }
        // The database tier has no route out: nothing there calls the internet.
        add(
                out,
                Resource.of(
                        "route-table/database",
                        Kind.ROUTE_TABLE,
                        false,
                        "vpc",
                        VPC,
                        "defaultRoute",
                        "",
                        "subnets",
                        databaseSubnets));

        add(
                out,
                Resource.of(
                        NODES_GROUP,
                        Kind.SECURITY_GROUP,
                        false,
                        "vpc",
                        VPC,
                        "name",
                        prefix + "-nodes",
                        "description",
                        "EKS nodes of " + env,
                        "port",
                        0L,
                        "allowFrom",
                        List.of("self")));
        add(
                out,
                Resource.of(
                        DATABASE_GROUP,
                        Kind.SECURITY_GROUP,
                        false,
                        "vpc",
                        VPC,
                        "name",
                        prefix + "-database",
                        "description",
                        "PostgreSQL of " + env + ", from the nodes only",
                        "port",
                        5432L,
                        "allowFrom",
                        List.of(NODES_GROUP)));
        add(
                out,
                Resource.of(
                        CACHE_GROUP,
                        Kind.SECURITY_GROUP,
                        false,
                        "vpc",
                        VPC,
                        "name",
                        prefix + "-cache",
                        "description",
                        "Redis of " + env + ", from the nodes only",
                        "port",
                        6379L,
                        "allowFrom",
                        List.of(NODES_GROUP)));

        var cluster = spec.cluster();
        add(
                out,
                Resource.of(
                        CLUSTER,
                        Kind.EKS_CLUSTER,
                        false,
                        "name",
                        cluster.name(),
                        "version",
                        cluster.version(),
                        "roleArn",
                        cluster.roleArn(),
                        "subnets",
                        privateSubnets,
                        "securityGroups",
                        List.of(NODES_GROUP),
                        "publicEndpoint",
                        cluster.publicEndpoint(),
                        "privateEndpoint",
                        cluster.privateEndpoint()));
        for (var group : cluster.nodeGroups()) {
            add(
                    out,
                    Resource.of(
                            "eks-nodegroup/" + group.name(),
                            Kind.EKS_NODEGROUP,
                            false,
                            "cluster",
                            CLUSTER,
                            "name",
                            group.name(),
                            "nodeRole",
                            cluster.nodeRoleArn(),
                            "instanceTypes",
                            group.instanceTypes(),
                            "subnets",
                            privateSubnets,
                            "min",
                            (long) group.min(),
                            "desired",
                            (long) group.desired(),
                            "max",
                            (long) group.max()));
        }

        var db = spec.database();
        add(
                out,
                secret(
                        DATABASE_PASSWORD,
                        prefix + "/database-password",
                        "generated master password of " + db.identifier(),
                        "password",
                        List.of()));
        add(
                out,
                Resource.of(
                        DB_SUBNETS,
                        Kind.DB_SUBNET_GROUP,
                        db.protect(),
                        "name",
                        prefix + "-database",
                        "subnets",
                        databaseSubnets));
        add(
                out,
                Resource.of(
                        DATABASE,
                        Kind.DB_INSTANCE,
                        db.protect(),
                        "identifier",
                        db.identifier(),
                        "engine",
                        "postgres",
                        "engineVersion",
                        db.engineVersion(),
                        "instanceClass",
                        db.instanceClass(),
                        "storageGb",
                        (long) db.storageGb(),
                        "multiAz",
                        db.multiAz(),
                        "backupRetentionDays",
                        (long) db.backupRetentionDays(),
                        "encrypted",
                        true,
                        "kmsKey",
                        KMS_KEY,
                        "deletionProtection",
                        db.deletionProtection(),
                        "subnetGroup",
                        DB_SUBNETS,
                        "securityGroups",
                        List.of(DATABASE_GROUP),
                        "masterUser",
                        db.masterUser(),
                        "dbName",
                        db.name(),
                        "passwordSecret",
                        DATABASE_PASSWORD));
        for (int r = 1; r <= db.readReplicas(); r++) {
            add(
                    out,
                    Resource.of(
                            "db-replica/" + r,
                            Kind.DB_REPLICA,
                            db.protect(),
                            "identifier",
                            db.identifier() + "-replica-" + r,
                            "source",
                            DATABASE,
                            "instanceClass",
                            db.instanceClass()));
        }
        add(
                out,
                secret(
                        DATABASE_CREDENTIALS,
                        prefix + "/database-credentials",
                        "URL of the platform's PostgreSQL",
                        "database-url",
                        List.of(DATABASE, DATABASE_PASSWORD)));

        var cache = spec.cache();
        add(out, secret(REDIS_TOKEN, prefix + "/redis-auth-token", "auth token of " + cache.id(), "token", List.of()));
        add(
                out,
                Resource.of(
                        CACHE_SUBNETS,
                        Kind.CACHE_SUBNET_GROUP,
                        cache.protect(),
                        "name",
                        prefix + "-cache",
                        "subnets",
                        databaseSubnets));
        add(
                out,
                Resource.of(
                        CACHE,
                        Kind.CACHE_REPLICATION_GROUP,
                        cache.protect(),
                        "id",
                        cache.id(),
                        "nodeType",
                        cache.nodeType(),
                        "replicas",
                        (long) cache.replicas(),
                        "multiAz",
                        cache.multiAz(),
                        "automaticFailover",
                        cache.automaticFailover(),
                        "encryptionAtRest",
                        cache.encryptionAtRest(),
                        "encryptionInTransit",
                        cache.encryptionInTransit(),
                        "subnetGroup",
                        CACHE_SUBNETS,
                        "securityGroups",
                        List.of(CACHE_GROUP),
                        "authSecret",
                        REDIS_TOKEN));
        add(
                out,
                secret(
                        REDIS_CREDENTIALS,
                        prefix + "/redis-credentials",
                        "URL of the platform's Redis",
                        "redis-url",
                        List.of(CACHE, REDIS_TOKEN)));

        var storage = spec.storage();
        add(
                out,
                Resource.of(
                        STATIC_BUCKET,
                        Kind.S3_BUCKET,
                        false,
                        "name",
                        storage.staticBucket(),
                        "region",
                        spec.region(),
                        "versioning",
                        true,
                        "expireDays",
                        0L,
                        "kmsKey",
                        "",
                        "replicateTo",
                        "",
                        "replicationRole",
                        ""));
        if (storage.replicateBackups()) {
            add(
                    out,
                    Resource.of(
                            DR_KMS_KEY,
                            Kind.KMS_KEY,
                            false,
                            "region",
                            spec.drRegion(),
                            "alias",
                            "alias/" + prefix + "-dr",
                            "description",
                            "Berrys " + env + ": disaster-recovery copies of backups",
                            "rotation",
                            true));
            add(
                    out,
                    Resource.of(
                            DR_BUCKET,
                            Kind.S3_BUCKET,
                            storage.protect(),
                            "name",
                            storage.backupBucket() + "-dr",
                            "region",
                            spec.drRegion(),
                            "versioning",
                            true,
                            "expireDays",
                            (long) storage.backupRetentionDays(),
                            "kmsKey",
                            DR_KMS_KEY,
                            "replicateTo",
                            "",
                            "replicationRole",
                            ""));
        }
        add(
                out,
                Resource.of(
                        BACKUP_BUCKET,
                        Kind.S3_BUCKET,
                        storage.protect(),
                        "name",
                        storage.backupBucket(),
                        "region",
                        spec.region(),
                        "versioning",
                        true,
                        "expireDays",
                        (long) storage.backupRetentionDays(),
                        "kmsKey",
                        KMS_KEY,
                        "replicateTo",
                        storage.replicateBackups() ? DR_BUCKET : "",
                        "replicationRole",
                        storage.replicateBackups() ? storage.replicationRoleArn() : ""));

        var registry = spec.registry();
        for (String repository : registry.repositories()) {
            add(
                    out,
                    Resource.of(
                            "ecr-repository/" + repository,
                            Kind.ECR_REPOSITORY,
                            false,
                            "name",
                            registry.prefix() + "/" + repository,
                            "scanOnPush",
                            registry.scanOnPush(),
                            "immutableTags",
                            registry.immutableTags()));
        }
        return List.copyOf(out.values());
    }

    private static String subnet(
            Map<String, Resource> out, String tier, String suffix, String cidr, String zone, boolean publicIp) {
        String id = "subnet/" + tier + "-" + suffix;
        add(
                out,
                Resource.of(
                        id,
                        Kind.SUBNET,
                        false,
                        "vpc",
                        VPC,
                        "cidr",
                        cidr,
                        "zone",
                        zone,
                        "tier",
                        tier,
                        "publicIp",
                        publicIp));
        return id;
    }

    private static Resource secret(String id, String name, String description, String value, List<String> from) {
        return Resource.of(
                id,
                Kind.SECRET,
                false,
                "name",
                name,
                "description",
                description,
                "kmsKey",
                KMS_KEY,
                "value",
                value,
                "from",
                from);
    }

    private static void add(Map<String, Resource> out, Resource resource) {
        if (out.putIfAbsent(resource.id(), resource) != null) {
            throw new IllegalStateException("two resources with the logical id " + resource.id());
        }
    }
}
