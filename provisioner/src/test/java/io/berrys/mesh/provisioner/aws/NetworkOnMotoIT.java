package io.berrys.mesh.provisioner.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Action;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import io.berrys.mesh.provisioner.spec.SpecReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;

/** The network part of the production spec (the rest is {@link ProductionOnMotoIT}'s) applied, re-applied, changed, drifted and destroyed on moto. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkOnMotoIT {

    static AwsClients aws;
    static ExecutorService pool;
    static AwsProvider provider;
    static Engine engine;
    static Scope scope;
    static List<Resource> desired;
    static final List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();

    static final MemoryMarkers markers = new MemoryMarkers();

    static final java.util.Set<Kind> NETWORK = java.util.EnumSet.of(
            Kind.VPC,
            Kind.SUBNET,
            Kind.INTERNET_GATEWAY,
            Kind.ELASTIC_IP,
            Kind.NAT_GATEWAY,
            Kind.ROUTE_TABLE,
            Kind.SECURITY_GROUP);

    @BeforeAll
    static void start() throws Exception {
        String endpoint = LocalServers.requireMoto();
        aws = new AwsClients(Optional.of(URI.create(endpoint)), Duration.ofSeconds(30));
        pool = Executors.newFixedThreadPool(8);
        provider = new AwsProvider(aws, pool);
        engine = new Engine(provider, markers, pool);
        // A fresh environment name per run: moto keeps what earlier runs made.
        String environment = "it-" + UUID.randomUUID().toString().substring(0, 8);
        String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"))
                .replace("environment: production", "environment: " + environment);
        desired = Blueprint.aws(SpecReader.read("production.yaml", yaml)).stream()
                .filter(r -> NETWORK.contains(r.kind()))
                .toList();
        scope = new Scope(environment, "us-east-1", List.of("us-east-1", "us-west-2"));
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        aws.close();
    }

    static Ec2Client ec2() {
        return aws.ec2("us-east-1");
    }

    static Filter tagged() {
        return Filter.builder()
                .name("tag:" + Tags.ENVIRONMENT)
                .values(scope.environment())
                .build();
    }

    static int taggedCount() {
        return ec2().describeVpcs(r -> r.filters(tagged())).vpcs().size()
                + ec2().describeSubnets(r -> r.filters(tagged())).subnets().size()
                + ec2().describeInternetGateways(r -> r.filters(tagged()))
                        .internetGateways()
                        .size()
                + ec2().describeAddresses(r -> r.filters(tagged())).addresses().size()
                + natGateways().size()
                + ec2().describeRouteTables(r -> r.filters(tagged()))
                        .routeTables()
                        .size()
                + ec2().describeSecurityGroups(r -> r.filters(tagged()))
                        .securityGroups()
                        .size();
    }

    /**
     * Live NAT gateways of this run's environment. Moto ignores the tag filter of DescribeNatGateways, so the tag
     * is checked here too (as the provider does).
     */
    static List<software.amazon.awssdk.services.ec2.model.NatGateway> natGateways() {
        return ec2().describeNatGateways(r -> r.filter(tagged())).natGateways().stream()
                .filter(g -> !g.stateAsString().startsWith("delet"))
                .filter(g -> g.tags().stream()
                        .anyMatch(t ->
                                t.key().equals(Tags.ENVIRONMENT) && t.value().equals(scope.environment())))
                .toList();
    }

    static Resource with(String id, String attribute, Object value) {
        Resource resource =
                desired.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
        TreeMap<String, Object> attributes = new TreeMap<>(resource.attributes());
        attributes.put(attribute, value);
        return new Resource(id, resource.kind(), attributes, resource.protect());
    }

    static List<Resource> replacing(Resource changed) {
        List<Resource> all = new ArrayList<>();
        desired.forEach(r -> all.add(r.id().equals(changed.id()) ? changed : r));
        return all;
    }

    @Test
    @Order(1)
    void anApplyFromNothingCreatesEveryResourceWithTheSpecsAttributes() {
        var outcome = engine.apply(scope, desired, false, progress::add);

        assertThat(outcome.plan().count(Action.CREATE)).isEqualTo(desired.size());
        assertThat(taggedCount()).isEqualTo(desired.size());
        assertThat(ec2().describeVpcs(r -> r.filters(tagged())).vpcs().get(0).cidrBlock())
                .isEqualTo("10.0.0.0/16");
        List<Subnet> subnets = ec2().describeSubnets(r -> r.filters(tagged())).subnets();
        assertThat(subnets).extracting(Subnet::availabilityZone).containsOnly("us-east-1a", "us-east-1b", "us-east-1c");
        assertThat(subnets).extracting(Subnet::cidrBlock).contains("10.0.0.0/20", "10.0.64.0/19", "10.0.168.0/22");
        assertThat(natGateways()).hasSize(3);
        SecurityGroup database = ec2().describeSecurityGroups(r -> r.filters(tagged())).securityGroups().stream()
                .filter(g -> g.groupName().endsWith("-database"))
                .findFirst()
                .orElseThrow();
        SecurityGroup nodes = ec2().describeSecurityGroups(r -> r.filters(tagged())).securityGroups().stream()
                .filter(g -> g.groupName().endsWith("-nodes"))
                .findFirst()
                .orElseThrow();
        IpPermission rule = database.ipPermissions().get(0);
        assertThat(rule.fromPort()).isEqualTo(5432);
        assertThat(rule.userIdGroupPairs()).extracting(p -> p.groupId()).containsExactly(nodes.groupId());
        assertThat(database.tags()).anySatisfy(t -> {
            assertThat(t.key()).isEqualTo(Tags.LOGICAL_ID);
            assertThat(t.value()).isEqualTo(Blueprint.DATABASE_GROUP);
        });
        assertThat(markers.tokens).isEmpty();
        assertThat(progress).contains("+ created " + Blueprint.VPC);
    }

    @Test
    @Order(2)
    void applyingAgainIsANoOp() {
        Plan plan = engine.plan(scope, desired);

        assertThat(plan.pending()).isEmpty();
        assertThat(plan.summary()).isEqualTo("+0 ~0 -0");
    }

    @Test
    @Order(3)
    void changedAttributesAreTheUpdateAndReplaceThePlannerPromised() {
        List<Resource> changed = replacing(with("subnet/private-a", "cidr", "10.0.192.0/19"));

        Plan plan = engine.plan(scope, changed);
        assertThat(plan.summary()).isEqualTo("+1 ~1 -1");
        assertThat(plan.diff())
                .contains("-/+ subnet/private-a: cidr: \"10.0.64.0/19\" -> \"10.0.192.0/19\" (forces replacement)");
        engine.apply(scope, changed, false, progress::add);

        assertThat(engine.plan(scope, changed).pending()).isEmpty();
        assertThat(ec2().describeSubnets(r -> r.filters(tagged())).subnets())
                .extracting(Subnet::cidrBlock)
                .contains("10.0.192.0/19")
                .doesNotContain("10.0.64.0/19");
        assertThat(taggedCount()).isEqualTo(desired.size());
        desired = changed;
    }

    @Test
    @Order(4)
    void anOutOfBandChangeIsDriftNamingResourceAndAttribute() {
        SecurityGroup database = ec2().describeSecurityGroups(r -> r.filters(tagged())).securityGroups().stream()
                .filter(g -> g.groupName().endsWith("-database"))
                .findFirst()
                .orElseThrow();
        ec2().revokeSecurityGroupIngress(r -> r.groupId(database.groupId()).ipPermissions(database.ipPermissions()));

        Plan drift = engine.plan(scope, desired);

        assertThat(drift.pending()).singleElement().satisfies(change -> {
            assertThat(change.id()).isEqualTo(Blueprint.DATABASE_GROUP);
            assertThat(change.attributes()).extracting(AttributeChange::name).contains("allowFrom");
        });
        engine.apply(scope, desired, false, progress::add);
        assertThat(engine.plan(scope, desired).pending()).isEmpty();
    }

    @Test
    @Order(5)
    void destroyRemovesEverything() {
        var outcome = engine.destroy(scope, false, progress::add);

        assertThat(outcome.plan().count(Action.DELETE)).isEqualTo(desired.size());
        assertThat(taggedCount()).isZero();
        assertThat(engine.plan(scope, desired).count(Action.CREATE)).isEqualTo(desired.size());
    }
}
