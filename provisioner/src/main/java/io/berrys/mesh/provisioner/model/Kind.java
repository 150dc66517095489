package io.berrys.mesh.provisioner.model;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The kinds of resource an environment is made of, and how each one's attributes behave: which can only change by
 * replacing the resource, which a plan ignores after the create (values AWS or an autoscaler owns), and which name
 * another resource of the environment (so they order the work and are compared by logical id). A kind means the same
 * to every provider: a {@code secret} is a Secrets Manager secret on AWS and a Kubernetes Secret locally.
 */
public enum Kind {
    KMS_KEY("kms-key", Set.of("region"), Set.of(), Set.of()),
    VPC("vpc", Set.of("cidr"), Set.of(), Set.of()),
    SUBNET("subnet", Set.of("vpc", "cidr", "zone"), Set.of(), Set.of("vpc")),
    INTERNET_GATEWAY("internet-gateway", Set.of(), Set.of(), Set.of("vpc")),
    ELASTIC_IP("elastic-ip", Set.of(), Set.of(), Set.of()),
    NAT_GATEWAY("nat-gateway", Set.of("subnet", "address"), Set.of(), Set.of("subnet", "address")),
    ROUTE_TABLE("route-table", Set.of("vpc"), Set.of(), Set.of("vpc", "defaultRoute", "subnets")),
    SECURITY_GROUP("security-group", Set.of("vpc", "name", "description"), Set.of(), Set.of("vpc", "allowFrom")),
    EKS_CLUSTER(
            "eks-cluster",
            Set.of("name", "roleArn", "subnets", "securityGroups"),
            Set.of(),
            Set.of("subnets", "securityGroups")),
    EKS_NODEGROUP(
            "eks-nodegroup",
            Set.of("cluster", "name", "nodeRole", "instanceTypes", "subnets"),
            Set.of("desired"),
            Set.of("cluster", "subnets")),
    DB_SUBNET_GROUP("db-subnet-group", Set.of("name"), Set.of(), Set.of("subnets")),
    DB_INSTANCE(
            "db-instance",
            Set.of("identifier", "engine", "encrypted", "kmsKey", "subnetGroup", "masterUser", "dbName"),
            Set.of("passwordSecret"),
            Set.of("kmsKey", "subnetGroup", "securityGroups", "passwordSecret")),
    DB_REPLICA("db-replica", Set.of("identifier", "source"), Set.of(), Set.of("source")),
    CACHE_SUBNET_GROUP("cache-subnet-group", Set.of("name"), Set.of(), Set.of("subnets")),
    CACHE_REPLICATION_GROUP(
            "cache-replication-group",
            Set.of("id", "encryptionAtRest", "encryptionInTransit", "subnetGroup"),
            Set.of("authSecret"),
            Set.of("subnetGroup", "securityGroups", "authSecret")),
    S3_BUCKET("s3-bucket", Set.of("name", "region"), Set.of(), Set.of("kmsKey", "replicateTo")),
    ECR_REPOSITORY("ecr-repository", Set.of("name"), Set.of(), Set.of()),
    SECRET("secret", Set.of("name", "namespace"), Set.of("value", "from"), Set.of("kmsKey", "from", "namespace")),
    // The local provider's kinds: what stands in for a cluster, a database server's database and its owner.
    NAMESPACE("namespace", Set.of("name"), Set.of(), Set.of()),
    PG_ROLE("pg-role", Set.of("name"), Set.of("passwordSecret"), Set.of("passwordSecret")),
    PG_DATABASE("pg-database", Set.of("name"), Set.of(), Set.of("owner"));

    private final String label;
    private final Set<String> replaceOn;
    private final Set<String> createOnly;
    private final Set<String> references;

    Kind(String label, Set<String> replaceOn, Set<String> createOnly, Set<String> references) {
        this.label = label;
        this.replaceOn = replaceOn;
        this.createOnly = createOnly;
        this.references = references;
    }

    /** The name in logical ids, plans and tags: {@code subnet}, {@code db-instance}. */
    public String label() {
        return label;
    }

    public boolean forcesReplacement(String attribute) {
        return replaceOn.contains(attribute);
    }

    /** Set at the create and never compared afterwards. */
    public boolean createOnly(String attribute) {
        return createOnly.contains(attribute);
    }

    /** Its value (a logical id, or a list of them) names another resource of the environment. */
    public boolean references(String attribute) {
        return references.contains(attribute);
    }

    public Set<String> references() {
        return references;
    }

    public static Optional<Kind> of(String label) {
        return Arrays.stream(values()).filter(k -> k.label.equals(label)).findFirst();
    }
}
