package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Found;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.ResourceHandler;
import io.berrys.mesh.provisioner.provider.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.elasticache.ElastiCacheClient;
import software.amazon.awssdk.services.elasticache.model.AutomaticFailoverStatus;
import software.amazon.awssdk.services.elasticache.model.CacheCluster;
import software.amazon.awssdk.services.elasticache.model.CacheSubnetGroup;
import software.amazon.awssdk.services.elasticache.model.MultiAZStatus;
import software.amazon.awssdk.services.elasticache.model.NodeGroup;
import software.amazon.awssdk.services.elasticache.model.ReplicationGroup;
import software.amazon.awssdk.services.elasticache.model.SecurityGroupMembership;
import software.amazon.awssdk.services.elasticache.model.Tag;

/** ElastiCache: the cache subnet group and the Redis replication group. Physical ids are their names. */
final class Caches {

    static final Duration READY_TIMEOUT = Duration.ofMinutes(45);

    private Caches() {}

    static List<ResourceHandler> handlers(AwsClients aws) {
        return List.of(new SubnetGroups(aws), new ReplicationGroups(aws));
    }

    private abstract static class CacheHandler extends Handler {
        CacheHandler(AwsClients aws) {
            super(aws);
        }

        ElastiCacheClient cache(Scope scope) {
            return aws.elastiCache(scope.region());
        }

        Map<String, String> tags(Scope scope, String arn) {
            return cache(scope).listTagsForResource(r -> r.resourceName(arn)).tagList().stream()
                    .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
        }

        static List<Tag> tags(Scope scope, Resource desired) {
            return tagList(
                    scope, desired, (k, v) -> Tag.builder().key(k).value(v).build());
        }
    }

    static final class SubnetGroups extends CacheHandler {
        SubnetGroups(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.CACHE_SUBNET_GROUP;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (CacheSubnetGroup group :
                    cache(scope).describeCacheSubnetGroupsPaginator(r -> {}).cacheSubnetGroups()) {
                Found.of(scope, tags(scope, group.arn()), group.cacheSubnetGroupName(), group, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            CacheSubnetGroup group = (CacheSubnetGroup) found.raw();
            return Map.of(
                    "name", group.cacheSubnetGroupName(),
                    "subnets",
                            group.subnets().stream()
                                    .map(s -> names.logical(s.subnetIdentifier()))
                                    .toList());
        }

        private static List<String> subnets(Resource desired, Names names) {
            return desired.list("subnets").stream().map(names::physical).toList();
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            cache(scope)
                    .createCacheSubnetGroup(r -> r.cacheSubnetGroupName(desired.text("name"))
                            .cacheSubnetGroupDescription("cache subnets of " + scope.environment())
                            .subnetIds(subnets(desired, names))
                            .tags(tags(scope, desired)));
            return new Created(desired.text("name"), Map.of());
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            if (change.name().equals("subnets")) {
                cache(scope)
                        .modifyCacheSubnetGroup(
                                r -> r.cacheSubnetGroupName(actual.physicalId()).subnetIds(subnets(desired, names)));
            } else {
                super.change(scope, desired, actual, change, names);
            }
        }

        /** Refused while a replication group being deleted still holds it: waits for that group to go. */
        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (true) {
                try {
                    ignoringGone(() ->
                            cache(scope).deleteCacheSubnetGroup(r -> r.cacheSubnetGroupName(actual.physicalId())));
                    return;
                } catch (AwsServiceException e) {
                    String code = e.awsErrorDetails() == null
                            ? ""
                            : e.awsErrorDetails().errorCode();
                    if (!"CacheSubnetGroupInUse".equals(code) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    progress.report(actual.id() + ": still in use by a replication group being deleted");
                    sleep(Duration.ofSeconds(15));
                }
            }
        }
    }

    static final class ReplicationGroups extends CacheHandler {
        ReplicationGroups(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.CACHE_REPLICATION_GROUP;
        }

        private record Described(ReplicationGroup group, Optional<CacheCluster> member, Map<String, String> tags) {}

        /**
         * The subnet group a replication group was made in, kept in a tag too: it never changes in place, and the
         * member clusters that tell it may not be readable (a destroy needs it to go in the right order).
         */
        private static final String SUBNET_GROUP_TAG = "mesh.berrys.io/cache-subnet-group";

        /** A group being deleted is counted as gone: it cannot be changed or used any more. */
        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (ReplicationGroup group :
                    cache(scope).describeReplicationGroupsPaginator(r -> {}).replicationGroups()) {
                if ("deleting".equals(group.status())) {
                    continue;
                }
                Map<String, String> tags = tags(scope, group.arn());
                if (!scope.environment().equals(tags.get(io.berrys.mesh.provisioner.provider.Tags.ENVIRONMENT))) {
                    continue;
                }
                Found.of(
                                scope,
                                tags,
                                group.replicationGroupId(),
                                new Described(group, member(scope, group), tags),
                                outputs(group))
                        .ifPresent(found::add);
            }
            return found;
        }

        /** The subnet group and security groups are told by the member clusters, not by the group. */
        private Optional<CacheCluster> member(Scope scope, ReplicationGroup group) {
            if (group.memberClusters().isEmpty()) {
                return Optional.empty();
            }
            try {
                return cache(scope)
                        .describeCacheClusters(
                                r -> r.cacheClusterId(group.memberClusters().get(0)))
                        .cacheClusters()
                        .stream()
                        .findFirst();
            } catch (AwsServiceException e) {
                if (Ec2Support.gone(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        }

        private static Map<String, String> outputs(ReplicationGroup group) {
            Map<String, String> outputs = new LinkedHashMap<>();
            outputs.put("arn", group.arn());
            outputs.put("tls", String.valueOf(Boolean.TRUE.equals(group.transitEncryptionEnabled())));
            group.nodeGroups().stream()
                    .findFirst()
                    .map(NodeGroup::primaryEndpoint)
                    .ifPresent(endpoint -> {
                        outputs.put("endpoint", endpoint.address());
                        outputs.put("port", String.valueOf(endpoint.port()));
                    });
            return outputs;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Described described = (Described) found.raw();
            ReplicationGroup group = described.group();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("id", group.replicationGroupId());
            attributes.put("nodeType", group.cacheNodeType());
            int members = group.nodeGroups().isEmpty()
                    ? 0
                    : group.nodeGroups().get(0).nodeGroupMembers().size();
            attributes.put("replicas", (long) Math.max(0, members - 1));
            attributes.put("multiAz", group.multiAZ() == MultiAZStatus.ENABLED);
            attributes.put(
                    "automaticFailover",
                    group.automaticFailover() == AutomaticFailoverStatus.ENABLED
                            || group.automaticFailover() == AutomaticFailoverStatus.ENABLING);
            attributes.put("encryptionAtRest", Boolean.TRUE.equals(group.atRestEncryptionEnabled()));
            attributes.put("encryptionInTransit", Boolean.TRUE.equals(group.transitEncryptionEnabled()));
            // Left out when no member cluster can be read: unknown is not drift.
            String taggedSubnetGroup = described.tags().get(SUBNET_GROUP_TAG);
            if (described.member().isEmpty() && taggedSubnetGroup != null) {
                attributes.put("subnetGroup", names.logical(taggedSubnetGroup));
            }
            String secret = described.tags().get(io.berrys.mesh.provisioner.provider.Tags.SECRET);
            if (secret != null) {
                attributes.put("authSecret", secret);
            }
            described.member().ifPresent(member -> {
                attributes.put("subnetGroup", names.logical(member.cacheSubnetGroupName()));
                attributes.put(
                        "securityGroups",
                        member.securityGroups().stream()
                                .map(SecurityGroupMembership::securityGroupId)
                                .map(names::logical)
                                .toList());
            });
            return attributes;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String id = desired.text("id");
            boolean inTransit = desired.flag("encryptionInTransit");
            cache(scope).createReplicationGroup(r -> {
                r.replicationGroupId(id)
                        .replicationGroupDescription("Redis of " + scope.environment())
                        .engine("redis")
                        .cacheNodeType(desired.text("nodeType"))
                        .numNodeGroups(1)
                        .replicasPerNodeGroup((int) desired.number("replicas"))
                        .multiAZEnabled(desired.flag("multiAz"))
                        .automaticFailoverEnabled(desired.flag("automaticFailover"))
                        .atRestEncryptionEnabled(desired.flag("encryptionAtRest"))
                        .transitEncryptionEnabled(inTransit)
                        .cacheSubnetGroupName(names.physical(desired.text("subnetGroup")))
                        .securityGroupIds(desired.list("securityGroups").stream()
                                .map(names::physical)
                                .toList())
                        .tags(withTags(
                                tags(scope, desired),
                                SUBNET_GROUP_TAG,
                                names.physical(desired.text("subnetGroup")),
                                io.berrys.mesh.provisioner.provider.Tags.SECRET,
                                desired.text("authSecret")));
                // Redis AUTH needs encryption in transit; without it the token would cross the network in clear.
                if (inTransit) {
                    r.authToken(Secrets.read(aws, scope, names, desired.text("authSecret")));
                }
            });
            awaitAvailable(scope, id, progress);
            ReplicationGroup group = cache(scope)
                    .describeReplicationGroups(r -> r.replicationGroupId(id))
                    .replicationGroups()
                    .get(0);
            return new Created(id, outputs(group));
        }

        private static List<Tag> withTags(List<Tag> tags, String key1, String value1, String key2, String value2) {
            List<Tag> all = new ArrayList<>(tags);
            all.add(Tag.builder().key(key1).value(value1).build());
            all.add(Tag.builder().key(key2).value(value2).build());
            return all;
        }

        private void awaitAvailable(Scope scope, String id, Progress progress) {
            Waiter.until(
                    "cache-replication-group " + id,
                    READY_TIMEOUT,
                    progress,
                    () -> status(scope, id),
                    Set.of("available"),
                    Set.of("create-failed"));
        }

        private String status(Scope scope, String id) {
            try {
                return cache(scope)
                        .describeReplicationGroups(r -> r.replicationGroupId(id))
                        .replicationGroups()
                        .stream()
                        .findFirst()
                        .map(ReplicationGroup::status)
                        .orElse(null);
            } catch (AwsServiceException e) {
                if (Ec2Support.gone(e)) {
                    return null;
                }
                throw e;
            }
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            String id = actual.physicalId();
            switch (change.name()) {
                case "nodeType" ->
                    cache(scope)
                            .modifyReplicationGroup(r -> r.replicationGroupId(id)
                                    .applyImmediately(true)
                                    .cacheNodeType(desired.text("nodeType")));
                case "multiAz" ->
                    cache(scope)
                            .modifyReplicationGroup(r -> r.replicationGroupId(id)
                                    .applyImmediately(true)
                                    .multiAZEnabled(desired.flag("multiAz")));
                case "automaticFailover" ->
                    cache(scope)
                            .modifyReplicationGroup(r -> r.replicationGroupId(id)
                                    .applyImmediately(true)
                                    .automaticFailoverEnabled(desired.flag("automaticFailover")));
                case "securityGroups" ->
                    cache(scope)
                            .modifyReplicationGroup(r -> r.replicationGroupId(id)
                                    .applyImmediately(true)
                                    .securityGroupIds(desired.list("securityGroups").stream()
                                            .map(names::physical)
                                            .toList()));
                // The token secret was replaced: rotate to the new token.
                case "authSecret" -> {
                    String token = Secrets.read(aws, scope, names, desired.text("authSecret"));
                    cache(scope)
                            .modifyReplicationGroup(r -> r.replicationGroupId(id)
                                    .applyImmediately(true)
                                    .authToken(token)
                                    .authTokenUpdateStrategy(
                                            software.amazon.awssdk.services.elasticache.model
                                                    .AuthTokenUpdateStrategyType.ROTATE));
                }
                case "replicas" -> {
                    int want = (int) desired.number("replicas");
                    long have = ((Number) actual.attributes().get("replicas")).longValue();
                    if (want > have) {
                        cache(scope)
                                .increaseReplicaCount(r -> r.replicationGroupId(id)
                                        .applyImmediately(true)
                                        .newReplicaCount(want));
                    } else {
                        cache(scope)
                                .decreaseReplicaCount(r -> r.replicationGroupId(id)
                                        .applyImmediately(true)
                                        .newReplicaCount(want));
                    }
                }
                default -> super.change(scope, desired, actual, change, names);
            }
            awaitAvailable(scope, id, message -> {});
        }

        /** Returns once ElastiCache has begun deleting; the subnet group's delete waits for the rest. */
        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> cache(scope).deleteReplicationGroup(r -> r.replicationGroupId(actual.physicalId())));
            progress.report(actual.id() + ": deleting");
        }
    }

    static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
