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
import io.berrys.mesh.provisioner.provider.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.eks.model.Cluster;
import software.amazon.awssdk.services.eks.model.Nodegroup;

/** EKS: the cluster and its managed node groups. The cluster's physical id is its name, a node group's its ARN. */
final class Clusters {

    static final Duration READY_TIMEOUT = Duration.ofMinutes(40);

    private Clusters() {}

    static List<ResourceHandler> handlers(AwsClients aws) {
        return List.of(new ClusterHandler(aws), new NodegroupHandler(aws));
    }

    private abstract static class EksHandler extends Handler {
        EksHandler(AwsClients aws) {
            super(aws);
        }

        EksClient eks(Scope scope) {
            return aws.eks(scope.region());
        }

        /** The environment's clusters, described. */
        List<Cluster> clusters(Scope scope) {
            List<Cluster> clusters = new ArrayList<>();
            for (String name : eks(scope).listClustersPaginator(r -> {}).clusters()) {
                Cluster cluster = eks(scope).describeCluster(r -> r.name(name)).cluster();
                if (scope.environment().equals(cluster.tags().get(Tags.ENVIRONMENT))) {
                    clusters.add(cluster);
                }
            }
            return clusters;
        }

        static String state(Supplier<String> read) {
            try {
                return read.get();
            } catch (AwsServiceException e) {
                if (Ec2Support.gone(e)) {
                    return null;
                }
                throw e;
            }
        }

        static Set<String> gone() {
            Set<String> gone = new HashSet<>();
            gone.add(null);
            return gone;
        }
    }

    static final class ClusterHandler extends EksHandler {
        ClusterHandler(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.EKS_CLUSTER;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (Cluster cluster : clusters(scope)) {
                if ("DELETING".equals(cluster.statusAsString())) {
                    continue;
                }
                Found.of(scope, cluster.tags(), cluster.name(), cluster, outputs(cluster))
                        .ifPresent(found::add);
            }
            return found;
        }

        private static Map<String, String> outputs(Cluster cluster) {
            Map<String, String> outputs = new LinkedHashMap<>();
            outputs.put("arn", cluster.arn());
            if (cluster.endpoint() != null) {
                outputs.put("endpoint", cluster.endpoint());
            }
            return outputs;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Cluster cluster = (Cluster) found.raw();
            var vpc = cluster.resourcesVpcConfig();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("name", cluster.name());
            attributes.put("version", cluster.version());
            attributes.put("roleArn", cluster.roleArn());
            attributes.put(
                    "subnets", vpc.subnetIds().stream().map(names::logical).toList());
            attributes.put(
                    "securityGroups",
                    vpc.securityGroupIds().stream().map(names::logical).toList());
            attributes.put("publicEndpoint", Boolean.TRUE.equals(vpc.endpointPublicAccess()));
            attributes.put("privateEndpoint", Boolean.TRUE.equals(vpc.endpointPrivateAccess()));
            return attributes;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String name = desired.text("name");
            // The token makes a retried create after a lost answer return the same cluster.
            Cluster cluster = eks(scope)
                    .createCluster(r -> r.name(name)
                            .version(desired.text("version"))
                            .roleArn(desired.text("roleArn"))
                            .clientRequestToken(token)
                            .resourcesVpcConfig(c -> c.subnetIds(desired.list("subnets").stream()
                                            .map(names::physical)
                                            .toList())
                                    .securityGroupIds(desired.list("securityGroups").stream()
                                            .map(names::physical)
                                            .toList())
                                    .endpointPublicAccess(desired.flag("publicEndpoint"))
                                    .endpointPrivateAccess(desired.flag("privateEndpoint")))
                            .tags(Tags.of(scope.environment(), desired.id(), desired.protect())))
                    .cluster();
            awaitActive(scope, name, progress);
            return new Created(
                    cluster.name(),
                    outputs(eks(scope).describeCluster(r -> r.name(name)).cluster()));
        }

        private void awaitActive(Scope scope, String name, Progress progress) {
            Waiter.until(
                    "eks-cluster " + name,
                    READY_TIMEOUT,
                    progress,
                    () -> state(() -> eks(scope)
                            .describeCluster(r -> r.name(name))
                            .cluster()
                            .statusAsString()),
                    Set.of("ACTIVE"),
                    Set.of("FAILED"));
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            String name = actual.physicalId();
            switch (change.name()) {
                case "version" ->
                    eks(scope).updateClusterVersion(r -> r.name(name).version(desired.text("version")));
                case "publicEndpoint", "privateEndpoint" ->
                    eks(scope)
                            .updateClusterConfig(r -> r.name(name)
                                    .resourcesVpcConfig(c -> c.endpointPublicAccess(desired.flag("publicEndpoint"))
                                            .endpointPrivateAccess(desired.flag("privateEndpoint"))));
                default -> super.change(scope, desired, actual, change, names);
            }
            awaitActive(scope, name, message -> {});
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            String name = actual.physicalId();
            ignoringGone(() -> eks(scope).deleteCluster(r -> r.name(name)));
            Waiter.until(
                    "deletion of eks-cluster " + name,
                    READY_TIMEOUT,
                    progress,
                    () -> state(() -> eks(scope)
                            .describeCluster(r -> r.name(name))
                            .cluster()
                            .statusAsString()),
                    gone(),
                    Set.of("FAILED"));
        }
    }

    static final class NodegroupHandler extends EksHandler {
        NodegroupHandler(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.EKS_NODEGROUP;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (Cluster cluster : clusters(scope)) {
                for (String name : eks(scope)
                        .listNodegroupsPaginator(r -> r.clusterName(cluster.name()))
                        .nodegroups()) {
                    Nodegroup group = eks(scope)
                            .describeNodegroup(
                                    r -> r.clusterName(cluster.name()).nodegroupName(name))
                            .nodegroup();
                    if ("DELETING".equals(group.statusAsString())) {
                        continue;
                    }
                    Found.of(scope, group.tags(), group.nodegroupArn(), group, outputs(group))
                            .ifPresent(found::add);
                }
            }
            return found;
        }

        private static Map<String, String> outputs(Nodegroup group) {
            return Map.of("clusterName", group.clusterName(), "name", group.nodegroupName());
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Nodegroup group = (Nodegroup) found.raw();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("cluster", names.logical(group.clusterName()));
            attributes.put("name", group.nodegroupName());
            attributes.put("nodeRole", group.nodeRole());
            attributes.put("instanceTypes", group.instanceTypes());
            attributes.put(
                    "subnets", group.subnets().stream().map(names::logical).toList());
            attributes.put("min", (long) group.scalingConfig().minSize());
            attributes.put("desired", (long) group.scalingConfig().desiredSize());
            attributes.put("max", (long) group.scalingConfig().maxSize());
            return attributes;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String cluster = names.physical(desired.text("cluster"));
            String name = desired.text("name");
            Nodegroup group = eks(scope)
                    .createNodegroup(r -> r.clusterName(cluster)
                            .nodegroupName(name)
                            .nodeRole(desired.text("nodeRole"))
                            .instanceTypes(desired.list("instanceTypes"))
                            .subnets(desired.list("subnets").stream()
                                    .map(names::physical)
                                    .toList())
                            .scalingConfig(s -> s.minSize((int) desired.number("min"))
                                    .desiredSize((int) desired.number("desired"))
                                    .maxSize((int) desired.number("max")))
                            .clientRequestToken(token)
                            .tags(Tags.of(scope.environment(), desired.id(), desired.protect())))
                    .nodegroup();
            awaitActive(scope, cluster, name, progress);
            return new Created(group.nodegroupArn(), outputs(group));
        }

        private void awaitActive(Scope scope, String cluster, String name, Progress progress) {
            Waiter.until(
                    "eks-nodegroup " + name,
                    READY_TIMEOUT,
                    progress,
                    () -> state(() -> eks(scope)
                            .describeNodegroup(r -> r.clusterName(cluster).nodegroupName(name))
                            .nodegroup()
                            .statusAsString()),
                    Set.of("ACTIVE"),
                    Set.of("CREATE_FAILED", "DEGRADED"));
        }

        /**
         * The size limits only: the desired size is the cluster autoscaler's to move, and is kept within the new
         * limits.
         */
        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            if (!change.name().equals("min") && !change.name().equals("max")) {
                super.change(scope, desired, actual, change, names);
                return;
            }
            int min = (int) desired.number("min");
            int max = (int) desired.number("max");
            int now = ((Number) actual.attributes().get("desired")).intValue();
            int size = Math.max(min, Math.min(max, now));
            String cluster = actual.outputs().get("clusterName");
            String name = actual.outputs().get("name");
            eks(scope)
                    .updateNodegroupConfig(r -> r.clusterName(cluster)
                            .nodegroupName(name)
                            .scalingConfig(s -> s.minSize(min).maxSize(max).desiredSize(size)));
            awaitActive(scope, cluster, name, message -> {});
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            String cluster = actual.outputs().get("clusterName");
            String name = actual.outputs().get("name");
            ignoringGone(
                    () -> eks(scope).deleteNodegroup(r -> r.clusterName(cluster).nodegroupName(name)));
            Waiter.until(
                    "deletion of eks-nodegroup " + name,
                    READY_TIMEOUT,
                    progress,
                    () -> state(() -> eks(scope)
                            .describeNodegroup(r -> r.clusterName(cluster).nodegroupName(name))
                            .nodegroup()
                            .statusAsString()),
                    gone(),
                    Set.of("DELETE_FAILED"));
        }
    }
}
