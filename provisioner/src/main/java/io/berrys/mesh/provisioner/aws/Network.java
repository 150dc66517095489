package io.berrys.mesh.provisioner.aws;

import static io.berrys.mesh.provisioner.aws.Ec2Support.environment;
import static io.berrys.mesh.provisioner.aws.Ec2Support.gone;
import static io.berrys.mesh.provisioner.aws.Ec2Support.map;
import static io.berrys.mesh.provisioner.aws.Ec2Support.tags;

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
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Address;
import software.amazon.awssdk.services.ec2.model.AttributeBooleanValue;
import software.amazon.awssdk.services.ec2.model.DomainType;
import software.amazon.awssdk.services.ec2.model.InternetGateway;
import software.amazon.awssdk.services.ec2.model.InternetGatewayAttachment;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.NatGateway;
import software.amazon.awssdk.services.ec2.model.NatGatewayState;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;

/** The VPC and what sits in it: subnets, gateways, addresses, route tables, security groups. */
final class Network {

    private static final String ANYWHERE = "0.0.0.0/0";

    private Network() {}

    static List<ResourceHandler> handlers(AwsClients aws) {
        return List.of(
                new Vpcs(aws),
                new Subnets(aws),
                new InternetGateways(aws),
                new ElasticIps(aws),
                new NatGateways(aws),
                new RouteTables(aws),
                new SecurityGroups(aws));
    }

    private abstract static class Ec2Handler extends Handler {

        Ec2Handler(AwsClients aws) {
            super(aws);
        }

        Ec2Client ec2(Scope scope) {
            return aws.ec2(scope.region());
        }
    }

    static final class Vpcs extends Ec2Handler {
        Vpcs(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.VPC;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (Vpc vpc :
                    ec2(scope).describeVpcs(r -> r.filters(environment(scope))).vpcs()) {
                // Not part of DescribeVpcs: one more call per VPC, and an environment has one.
                boolean dnsHostnames = Boolean.TRUE.equals(ec2(scope)
                        .describeVpcAttribute(
                                r -> r.vpcId(vpc.vpcId()).attribute(VpcAttributeName.ENABLE_DNS_HOSTNAMES))
                        .enableDnsHostnames()
                        .value());
                Found.of(scope, map(vpc.tags()), vpc.vpcId(), new Described(vpc, dnsHostnames), Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        private record Described(Vpc vpc, boolean dnsHostnames) {}

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Described described = (Described) found.raw();
            return Map.of("cidr", described.vpc().cidrBlock(), "dnsHostnames", described.dnsHostnames());
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String id = ec2(scope)
                    .createVpc(r -> r.cidrBlock(desired.text("cidr"))
                            .tagSpecifications(tags(ResourceType.VPC, scope, desired.id(), desired.protect())))
                    .vpc()
                    .vpcId();
            setDnsHostnames(scope, id, desired.flag("dnsHostnames"));
            return new Created(id, Map.of());
        }

        private void setDnsHostnames(Scope scope, String id, boolean on) {
            ec2(scope)
                    .modifyVpcAttribute(r -> r.vpcId(id)
                            .enableDnsHostnames(
                                    AttributeBooleanValue.builder().value(on).build()));
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            if (change.name().equals("dnsHostnames")) {
                setDnsHostnames(scope, actual.physicalId(), desired.flag("dnsHostnames"));
            } else {
                super.change(scope, desired, actual, change, names);
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> ec2(scope).deleteVpc(r -> r.vpcId(actual.physicalId())));
        }
    }

    static final class Subnets extends Ec2Handler {
        Subnets(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.SUBNET;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (Subnet subnet : ec2(scope)
                    .describeSubnets(r -> r.filters(environment(scope)))
                    .subnets()) {
                Found.of(scope, map(subnet.tags()), subnet.subnetId(), subnet, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Subnet subnet = (Subnet) found.raw();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("vpc", names.logical(subnet.vpcId()));
            attributes.put("cidr", subnet.cidrBlock());
            attributes.put("zone", subnet.availabilityZone());
            attributes.put("tier", map(subnet.tags()).getOrDefault("mesh.berrys.io/tier", ""));
            attributes.put("publicIp", Boolean.TRUE.equals(subnet.mapPublicIpOnLaunch()));
            return attributes;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            var spec = tags(ResourceType.SUBNET, scope, desired.id(), desired.protect());
            var tagged = spec.toBuilder()
                    .tags(concat(
                            spec.tags(),
                            software.amazon.awssdk.services.ec2.model.Tag.builder()
                                    .key("mesh.berrys.io/tier")
                                    .value(desired.text("tier"))
                                    .build()))
                    .build();
            String id = ec2(scope)
                    .createSubnet(r -> r.vpcId(names.physical(desired.text("vpc")))
                            .cidrBlock(desired.text("cidr"))
                            .availabilityZone(desired.text("zone"))
                            .tagSpecifications(tagged))
                    .subnet()
                    .subnetId();
            if (desired.flag("publicIp")) {
                setPublicIp(scope, id, true);
            }
            return new Created(id, Map.of());
        }

        private static <T> List<T> concat(List<T> list, T item) {
            List<T> all = new ArrayList<>(list);
            all.add(item);
            return all;
        }

        private void setPublicIp(Scope scope, String id, boolean on) {
            ec2(scope)
                    .modifySubnetAttribute(r -> r.subnetId(id)
                            .mapPublicIpOnLaunch(
                                    AttributeBooleanValue.builder().value(on).build()));
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            switch (change.name()) {
                case "publicIp" -> setPublicIp(scope, actual.physicalId(), desired.flag("publicIp"));
                case "tier" ->
                    ec2(scope)
                            .createTags(r -> r.resources(actual.physicalId())
                                    .tags(software.amazon.awssdk.services.ec2.model.Tag.builder()
                                            .key("mesh.berrys.io/tier")
                                            .value(desired.text("tier"))
                                            .build()));
                default -> super.change(scope, desired, actual, change, names);
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> ec2(scope).deleteSubnet(r -> r.subnetId(actual.physicalId())));
        }
    }

    static final class InternetGateways extends Ec2Handler {
        InternetGateways(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.INTERNET_GATEWAY;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (InternetGateway gateway : ec2(scope)
                    .describeInternetGateways(r -> r.filters(environment(scope)))
                    .internetGateways()) {
                Found.of(scope, map(gateway.tags()), gateway.internetGatewayId(), gateway, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            InternetGateway gateway = (InternetGateway) found.raw();
            String vpc = gateway.attachments().stream()
                    .map(InternetGatewayAttachment::vpcId)
                    .filter(Objects::nonNull)
                    .findFirst()
                    .map(names::logical)
                    .orElse("");
            return Map.of("vpc", vpc);
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String id = ec2(scope)
                    .createInternetGateway(r -> r.tagSpecifications(
                            tags(ResourceType.INTERNET_GATEWAY, scope, desired.id(), desired.protect())))
                    .internetGateway()
                    .internetGatewayId();
            ec2(scope).attachInternetGateway(r -> r.internetGatewayId(id).vpcId(names.physical(desired.text("vpc"))));
            return new Created(id, Map.of());
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            String was = (String) change.from();
            if (was != null && !was.isEmpty() && !was.startsWith("external:")) {
                ec2(scope)
                        .detachInternetGateway(
                                r -> r.internetGatewayId(actual.physicalId()).vpcId(names.physical(was)));
            }
            ec2(scope)
                    .attachInternetGateway(
                            r -> r.internetGatewayId(actual.physicalId()).vpcId(names.physical(desired.text("vpc"))));
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            InternetGateway gateway = ec2(scope)
                    .describeInternetGateways(r -> r.internetGatewayIds(actual.physicalId()))
                    .internetGateways()
                    .stream()
                    .findFirst()
                    .orElse(null);
            if (gateway == null) {
                return;
            }
            for (InternetGatewayAttachment attachment : gateway.attachments()) {
                ignoringGone(() -> ec2(scope)
                        .detachInternetGateway(
                                r -> r.internetGatewayId(actual.physicalId()).vpcId(attachment.vpcId())));
            }
            ignoringGone(() -> ec2(scope).deleteInternetGateway(r -> r.internetGatewayId(actual.physicalId())));
        }
    }

    static final class ElasticIps extends Ec2Handler {
        ElasticIps(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.ELASTIC_IP;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (Address address : ec2(scope)
                    .describeAddresses(r -> r.filters(environment(scope)))
                    .addresses()) {
                Found.of(
                                scope,
                                map(address.tags()),
                                address.allocationId(),
                                address,
                                Map.of("publicIp", address.publicIp()))
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            Address address = (Address) found.raw();
            return Map.of("domain", address.domain() == null ? "vpc" : address.domainAsString());
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            var address = ec2(scope)
                    .allocateAddress(r -> r.domain(DomainType.VPC)
                            .tagSpecifications(tags(ResourceType.ELASTIC_IP, scope, desired.id(), desired.protect())));
            return new Created(address.allocationId(), Map.of("publicIp", address.publicIp()));
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> ec2(scope).releaseAddress(r -> r.allocationId(actual.physicalId())));
        }
    }

    static final class NatGateways extends Ec2Handler {
        private static final Duration READY = Duration.ofMinutes(15);
        private static final Set<String> GONE_OR_DELETED = java.util.Collections.unmodifiableSet(
                new java.util.HashSet<>(java.util.Arrays.asList(null, "deleted")));

        NatGateways(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.NAT_GATEWAY;
        }

        private List<NatGateway> live(Scope scope) {
            return ec2(scope).describeNatGateways(r -> r.filter(environment(scope))).natGateways().stream()
                    .filter(g -> g.state() != NatGatewayState.DELETED && g.state() != NatGatewayState.DELETING)
                    .toList();
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (NatGateway gateway : live(scope)) {
                Found.of(scope, map(gateway.tags()), gateway.natGatewayId(), gateway, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            NatGateway gateway = (NatGateway) found.raw();
            String address = gateway.natGatewayAddresses().isEmpty()
                    ? ""
                    : names.logical(gateway.natGatewayAddresses().get(0).allocationId());
            return Map.of("subnet", names.logical(gateway.subnetId()), "address", address);
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            // The client token makes a create that is sent twice (its answer lost) make one gateway.
            String id = ec2(scope)
                    .createNatGateway(r -> r.subnetId(names.physical(desired.text("subnet")))
                            .allocationId(names.physical(desired.text("address")))
                            .clientToken(token)
                            .tagSpecifications(tags(ResourceType.NATGATEWAY, scope, desired.id(), desired.protect())))
                    .natGateway()
                    .natGatewayId();
            Waiter.until(desired.id(), READY, progress, () -> state(scope, id), Set.of("available"), Set.of("failed"));
            return new Created(id, Map.of());
        }

        private String state(Scope scope, String id) {
            try {
                return ec2(scope).describeNatGateways(r -> r.natGatewayIds(id)).natGateways().stream()
                        .findFirst()
                        .map(NatGateway::stateAsString)
                        .orElse(null);
            } catch (AwsServiceException e) {
                if (gone(e)) {
                    return null;
                }
                throw e;
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> ec2(scope).deleteNatGateway(r -> r.natGatewayId(actual.physicalId())));
            // Its address is released next, which AWS refuses while the gateway still holds it.
            Waiter.until(
                    actual.id() + " deletion",
                    READY,
                    progress,
                    () -> state(scope, actual.physicalId()),
                    GONE_OR_DELETED,
                    Set.of("failed"));
        }
    }

    static final class RouteTables extends Ec2Handler {
        RouteTables(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.ROUTE_TABLE;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (RouteTable table : ec2(scope)
                    .describeRouteTables(r -> r.filters(environment(scope)))
                    .routeTables()) {
                Found.of(scope, map(table.tags()), table.routeTableId(), table, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            RouteTable table = (RouteTable) found.raw();
            String route = table.routes().stream()
                    .filter(r -> ANYWHERE.equals(r.destinationCidrBlock()))
                    .map(r -> r.natGatewayId() != null ? r.natGatewayId() : r.gatewayId())
                    .filter(Objects::nonNull)
                    .findFirst()
                    .map(names::logical)
                    .orElse("");
            List<String> subnets = table.associations().stream()
                    .filter(a -> !Boolean.TRUE.equals(a.main()) && a.subnetId() != null)
                    .map(a -> names.logical(a.subnetId()))
                    .toList();
            return Map.of("vpc", names.logical(table.vpcId()), "defaultRoute", route, "subnets", subnets);
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String id = ec2(scope)
                    .createRouteTable(r -> r.vpcId(names.physical(desired.text("vpc")))
                            .tagSpecifications(tags(ResourceType.ROUTE_TABLE, scope, desired.id(), desired.protect())))
                    .routeTable()
                    .routeTableId();
            setRoute(scope, id, null, desired.text("defaultRoute"), names);
            for (String subnet : desired.list("subnets")) {
                ec2(scope).associateRouteTable(r -> r.routeTableId(id).subnetId(names.physical(subnet)));
            }
            return new Created(id, Map.of());
        }

        private void setRoute(Scope scope, String table, String was, String target, Names names) {
            boolean had = was != null && !was.isEmpty();
            if (target == null || target.isEmpty()) {
                if (had) {
                    ignoringGone(() ->
                            ec2(scope).deleteRoute(r -> r.routeTableId(table).destinationCidrBlock(ANYWHERE)));
                }
                return;
            }
            String physical = names.physical(target);
            boolean nat = target.startsWith(Kind.NAT_GATEWAY.label() + "/");
            if (had) {
                ec2(scope).replaceRoute(r -> {
                    r.routeTableId(table).destinationCidrBlock(ANYWHERE);
                    if (nat) {
                        r.natGatewayId(physical);
                    } else {
                        r.gatewayId(physical);
                    }
                });
            } else {
                ec2(scope).createRoute(r -> {
                    r.routeTableId(table).destinationCidrBlock(ANYWHERE);
                    if (nat) {
                        r.natGatewayId(physical);
                    } else {
                        r.gatewayId(physical);
                    }
                });
            }
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            switch (change.name()) {
                case "defaultRoute" ->
                    setRoute(scope, actual.physicalId(), (String) change.from(), desired.text("defaultRoute"), names);
                case "subnets" -> associate(scope, desired, actual, names);
                default -> super.change(scope, desired, actual, change, names);
            }
        }

        private void associate(Scope scope, Resource desired, Observed actual, Names names) {
            RouteTable table = ec2(scope)
                    .describeRouteTables(r -> r.routeTableIds(actual.physicalId()))
                    .routeTables()
                    .get(0);
            Set<String> wanted = new java.util.HashSet<>();
            desired.list("subnets").forEach(s -> wanted.add(names.physical(s)));
            for (RouteTableAssociation association : table.associations()) {
                if (Boolean.TRUE.equals(association.main()) || association.subnetId() == null) {
                    continue;
                }
                if (!wanted.remove(association.subnetId())) {
                    ec2(scope).disassociateRouteTable(r -> r.associationId(association.routeTableAssociationId()));
                }
            }
            for (String subnet : wanted) {
                ec2(scope)
                        .associateRouteTable(
                                r -> r.routeTableId(actual.physicalId()).subnetId(subnet));
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            List<RouteTable> tables;
            try {
                tables = ec2(scope)
                        .describeRouteTables(r -> r.routeTableIds(actual.physicalId()))
                        .routeTables();
            } catch (AwsServiceException e) {
                if (gone(e)) {
                    return;
                }
                throw e;
            }
            for (RouteTable table : tables) {
                for (RouteTableAssociation association : table.associations()) {
                    if (!Boolean.TRUE.equals(association.main())) {
                        ignoringGone(() -> ec2(scope)
                                .disassociateRouteTable(r -> r.associationId(association.routeTableAssociationId())));
                    }
                }
            }
            ignoringGone(() -> ec2(scope).deleteRouteTable(r -> r.routeTableId(actual.physicalId())));
        }
    }

    static final class SecurityGroups extends Ec2Handler {
        SecurityGroups(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.SECURITY_GROUP;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (SecurityGroup group : ec2(scope)
                    .describeSecurityGroups(r -> r.filters(environment(scope)))
                    .securityGroups()) {
                Found.of(scope, map(group.tags()), group.groupId(), group, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            SecurityGroup group = (SecurityGroup) found.raw();
            long port = 0;
            List<String> from = new ArrayList<>();
            for (IpPermission permission : group.ipPermissions()) {
                port = "-1".equals(permission.ipProtocol()) || permission.fromPort() == null
                        ? 0
                        : permission.fromPort();
                for (UserIdGroupPair pair : permission.userIdGroupPairs()) {
                    from.add(pair.groupId().equals(group.groupId()) ? "self" : names.logical(pair.groupId()));
                }
                permission.ipRanges().forEach(range -> from.add("cidr:" + range.cidrIp()));
            }
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("vpc", names.logical(group.vpcId()));
            attributes.put("name", group.groupName());
            attributes.put("description", group.description());
            attributes.put("port", port);
            attributes.put("allowFrom", from);
            return attributes;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String id = ec2(scope)
                    .createSecurityGroup(r -> r.groupName(desired.text("name"))
                            .description(desired.text("description"))
                            .vpcId(names.physical(desired.text("vpc")))
                            .tagSpecifications(
                                    tags(ResourceType.SECURITY_GROUP, scope, desired.id(), desired.protect())))
                    .groupId();
            authorize(scope, id, desired, names);
            return new Created(id, Map.of());
        }

        private void authorize(Scope scope, String id, Resource desired, Names names) {
            long port = desired.number("port");
            List<UserIdGroupPair> pairs = desired.list("allowFrom").stream()
                    .map(from -> UserIdGroupPair.builder()
                            .groupId(from.equals("self") ? id : names.physical(from))
                            .build())
                    .toList();
            if (pairs.isEmpty()) {
                return;
            }
            IpPermission permission = port == 0
                    ? IpPermission.builder()
                            .ipProtocol("-1")
                            .userIdGroupPairs(pairs)
                            .build()
                    : IpPermission.builder()
                            .ipProtocol("tcp")
                            .fromPort((int) port)
                            .toPort((int) port)
                            .userIdGroupPairs(pairs)
                            .build();
            ec2(scope).authorizeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(permission));
        }

        @Override
        public void update(
                Scope scope,
                Resource desired,
                Observed actual,
                List<AttributeChange> changes,
                Names names,
                Progress progress) {
            // The rules are replaced as a whole: what the spec says is all that may reach the group.
            SecurityGroup group = ec2(scope)
                    .describeSecurityGroups(r -> r.groupIds(actual.physicalId()))
                    .securityGroups()
                    .get(0);
            if (!group.ipPermissions().isEmpty()) {
                ec2(scope)
                        .revokeSecurityGroupIngress(
                                r -> r.groupId(actual.physicalId()).ipPermissions(group.ipPermissions()));
            }
            authorize(scope, actual.physicalId(), desired, names);
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> ec2(scope).deleteSecurityGroup(r -> r.groupId(actual.physicalId())));
        }
    }
}
