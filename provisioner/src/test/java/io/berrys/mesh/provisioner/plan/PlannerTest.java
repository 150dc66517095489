package io.berrys.mesh.provisioner.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.spec.SpecReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

public class PlannerTest {

    static List<Resource> production() throws IOException {
        String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"));
        return Blueprint.aws(SpecReader.read("production.yaml", yaml));
    }

    /** The cloud holding exactly these resources, as an observation would report them. */
    public static Map<String, Observed> cloud(List<Resource> resources) {
        Map<String, Observed> observed = new LinkedHashMap<>();
        for (Resource r : resources) {
            observed.put(
                    r.id(), new Observed(r.id(), r.kind(), "phys-" + r.id(), r.attributes(), Map.of(), r.protect()));
        }
        return observed;
    }

    static Resource with(Resource resource, String attribute, Object value) {
        TreeMap<String, Object> attributes = new TreeMap<>(resource.attributes());
        attributes.put(attribute, value);
        return new Resource(resource.id(), resource.kind(), attributes, resource.protect());
    }

    static List<Resource> changed(List<Resource> resources, String id, UnaryOperator<Resource> change) {
        return resources.stream()
                .map(r -> r.id().equals(id) ? change.apply(r) : r)
                .toList();
    }

    static Change change(Plan plan, String id) {
        return plan.changes().stream()
                .filter(c -> c.id().equals(id))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void fromNothingEverythingIsCreatedDependenciesFirst() throws IOException {
        List<Resource> desired = production();

        Plan plan = Planner.plan(desired, Map.of());

        assertThat(plan.count(Action.CREATE)).isEqualTo(desired.size());
        assertThat(plan.summary()).isEqualTo("+" + desired.size() + " ~0 -0");
        List<String> order = plan.changes().stream().map(Change::id).toList();
        for (Resource resource : desired) {
            for (String dependency : resource.dependencies()) {
                assertThat(order.indexOf(dependency))
                        .as("%s before %s", dependency, resource.id())
                        .isLessThan(order.indexOf(resource.id()));
            }
        }
        assertThat(order.indexOf(Blueprint.VPC)).isLessThan(order.indexOf("subnet/public-a"));
        assertThat(order.indexOf(Blueprint.DATABASE)).isLessThan(order.indexOf(Blueprint.DATABASE_CREDENTIALS));
        assertThat(change(plan, "subnet/public-a").level())
                .isGreaterThan(change(plan, Blueprint.VPC).level());
    }

    static final java.util.Set<Kind> LOCAL_ONLY = java.util.EnumSet.of(Kind.NAMESPACE, Kind.PG_ROLE, Kind.PG_DATABASE);

    @Test
    void theSeedsProductionSpecHasEveryPart() throws IOException {
        List<String> kinds =
                production().stream().map(r -> r.kind().label()).distinct().toList();

        assertThat(kinds)
                .containsExactlyInAnyOrder(java.util.Arrays.stream(Kind.values())
                        .filter(k -> !LOCAL_ONLY.contains(k))
                        .map(Kind::label)
                        .toArray(String[]::new));
        assertThat(production().stream().filter(r -> r.kind() == Kind.SUBNET)).hasSize(9);
        assertThat(production().stream().filter(r -> r.kind() == Kind.NAT_GATEWAY))
                .hasSize(3);
        assertThat(production().stream().filter(r -> r.kind() == Kind.ECR_REPOSITORY))
                .hasSize(7);
        assertThat(production().stream().filter(Resource::protect).map(Resource::id))
                .contains(Blueprint.DATABASE, "db-replica/1", Blueprint.BACKUP_BUCKET);
    }

    @Test
    void aCloudThatMatchesGivesNothingToDo() throws IOException {
        List<Resource> desired = production();

        Plan plan = Planner.plan(desired, cloud(desired));

        assertThat(plan.empty()).isTrue();
        assertThat(plan.summary()).isEqualTo("+0 ~0 -0");
        assertThat(plan.changes()).hasSize(desired.size());
    }

    @Test
    void anAttributeThatCanChangeInPlaceIsAnUpdate() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = cloud(desired);

        Plan plan = Planner.plan(changed(desired, Blueprint.DATABASE, r -> with(r, "storageGb", 200L)), observed);

        Change change = change(plan, Blueprint.DATABASE);
        assertThat(change.action()).isEqualTo(Action.UPDATE);
        assertThat(change.attributes()).containsExactly(new AttributeChange("storageGb", 100L, 200L, false));
        assertThat(plan.summary()).isEqualTo("+0 ~1 -0");
        assertThat(plan.diff()).containsExactly("~ db-instance/primary: storageGb: 100 -> 200");
        assertThat(plan.blocked()).isEmpty();
    }

    @Test
    void anAttributeThatForcesReplacementIsNamedAndItsDependentsFollow() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = cloud(desired);

        Plan plan = Planner.plan(changed(desired, "subnet/public-a", r -> with(r, "cidr", "10.0.48.0/20")), observed);

        Change subnet = change(plan, "subnet/public-a");
        assertThat(subnet.action()).isEqualTo(Action.REPLACE);
        assertThat(subnet.attributes())
                .containsExactly(new AttributeChange("cidr", "10.0.0.0/20", "10.0.48.0/20", true));
        // The NAT gateway sits in that subnet and cannot move: it is replaced too. The route table only
        // re-associates.
        Change nat = change(plan, "nat-gateway/a");
        assertThat(nat.action()).isEqualTo(Action.REPLACE);
        assertThat(nat.reason()).isEqualTo("subnet/public-a is replaced");
        assertThat(change(plan, "route-table/public").action()).isEqualTo(Action.UPDATE);
        // And what follows the NAT gateway: the private route table of zone a updates its default route.
        assertThat(change(plan, "route-table/private-a").action()).isEqualTo(Action.UPDATE);
        assertThat(plan.summary()).isEqualTo("+2 ~2 -2");
    }

    @Test
    void aSecretMadeAgainIsFollowedByWhatTookItsValueAtCreate() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = new LinkedHashMap<>(cloud(desired));
        observed.remove(Blueprint.DATABASE_PASSWORD);

        Plan plan = Planner.plan(desired, observed);

        assertThat(change(plan, Blueprint.DATABASE_PASSWORD).action()).isEqualTo(Action.CREATE);
        Change database = change(plan, Blueprint.DATABASE);
        assertThat(database.action()).isEqualTo(Action.UPDATE);
        assertThat(database.attributes()).extracting(AttributeChange::name).containsExactly("passwordSecret");
        assertThat(database.reason()).isEqualTo(Blueprint.DATABASE_PASSWORD + " is made again");
        assertThat(change(plan, Blueprint.DATABASE_CREDENTIALS).attributes())
                .extracting(AttributeChange::name)
                .containsExactly("from");
        // A reference compared on every plan needs no such help: nothing else changes.
        assertThat(plan.pending()).hasSize(3);
    }

    @Test
    void aResourceTheSpecNoLongerHasIsDeletedDependentsFirst() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = cloud(desired);
        List<Resource> fewer = desired.stream()
                .filter(r -> !r.id().equals("eks-nodegroup/general") && !r.id().equals(Blueprint.CLUSTER))
                .toList();

        Plan plan = Planner.plan(fewer, observed);

        List<String> deletes = plan.changes().stream()
                .filter(c -> c.action() == Action.DELETE)
                .map(Change::id)
                .toList();
        assertThat(deletes).containsExactly("eks-nodegroup/general", Blueprint.CLUSTER);
        assertThat(plan.changes().get(0).id()).isEqualTo("eks-nodegroup/general");
        assertThat(plan.summary()).isEqualTo("+0 ~0 -2");
    }

    @Test
    void deletingOrReplacingAProtectedResourceIsBlocked() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = cloud(desired);

        Plan replace =
                Planner.plan(changed(desired, Blueprint.DATABASE, r -> with(r, "masterUser", "admin")), observed);
        Plan delete = Planner.plan(
                desired.stream().filter(r -> !r.id().equals("db-replica/1")).toList(), observed);

        assertThat(replace.blocked()).extracting(Change::id).contains(Blueprint.DATABASE, "db-replica/1");
        assertThat(change(replace, Blueprint.DATABASE).line()).endsWith("[protected]");
        assertThat(delete.blocked()).extracting(Change::id).containsExactly("db-replica/1");
    }

    @Test
    void attributesSetOnlyAtCreateAreNotDrift() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = new HashMap<>(cloud(desired));
        Observed group = observed.get("eks-nodegroup/general");
        TreeMap<String, Object> scaled = new TreeMap<>(group.attributes());
        scaled.put("desired", 7L);
        observed.put(group.id(), new Observed(group.id(), group.kind(), group.physicalId(), scaled, Map.of(), false));

        assertThat(Planner.plan(desired, observed).empty()).isTrue();
    }

    @Test
    void attributesTheSpecDoesNotNameAreNotCompared() throws IOException {
        List<Resource> desired = production();
        Map<String, Observed> observed = new HashMap<>(cloud(desired));
        Observed vpc = observed.get(Blueprint.VPC);
        TreeMap<String, Object> extra = new TreeMap<>(vpc.attributes());
        extra.put("instanceTenancy", "default");
        observed.put(vpc.id(), new Observed(vpc.id(), vpc.kind(), vpc.physicalId(), extra, Map.of(), false));

        assertThat(Planner.plan(desired, observed).empty()).isTrue();
    }

    @Test
    void aCycleOrADanglingReferenceIsRefused() {
        Resource a = Resource.of("route-table/a", Kind.ROUTE_TABLE, false, "vpc", "route-table/b");
        Resource b = Resource.of("route-table/b", Kind.ROUTE_TABLE, false, "vpc", "route-table/a");
        Resource lost = Resource.of("subnet/x", Kind.SUBNET, false, "vpc", "vpc/nowhere");

        assertThatThrownBy(() -> Planner.plan(List.of(a, b), Map.of()))
                .hasMessageContaining("depend on each other in a cycle");
        assertThatThrownBy(() -> Planner.plan(List.of(lost), Map.of()))
                .hasMessageContaining("subnet/x references vpc/nowhere, which is not in the spec");
    }

    @Test
    void wavesHoldResourcesThatDoNotDependOnEachOther() throws IOException {
        Plan plan = Planner.plan(production(), Map.of());

        for (List<Change> wave : Planner.waves(plan.changes())) {
            List<String> ids = wave.stream().map(Change::id).toList();
            for (Change change : wave) {
                assertThat(change.desired().dependencies()).doesNotContainAnyElementsOf(ids);
            }
        }
    }

    /** The planner alone over a synthetic environment: a chain of VPCs each holding a fan of subnets. */
    public static List<Resource> synthetic(int count) {
        List<Resource> resources = new ArrayList<>();
        String vpc = null;
        for (int i = 0; resources.size() < count; i++) {
            if (i % 10 == 0) {
                vpc = "vpc/" + i;
                resources.add(Resource.of(vpc, Kind.VPC, false, "cidr", "10.0.0.0/16", "dnsHostnames", true));
            } else {
                resources.add(Resource.of(
                        "subnet/" + i,
                        Kind.SUBNET,
                        false,
                        "vpc",
                        vpc,
                        "cidr",
                        "10.0." + (i % 250) + ".0/24",
                        "zone",
                        "us-east-1a",
                        "tier",
                        "private",
                        "publicIp",
                        false));
            }
        }
        return resources;
    }

    @Test
    void tenThousandResourcesArePlanned() {
        List<Resource> desired = synthetic(10_000);
        Map<String, Observed> observed = cloud(desired.subList(0, 5_000));

        Plan plan = Planner.plan(desired, observed);

        assertThat(plan.changes()).hasSize(10_000);
        assertThat(plan.count(Action.CREATE)).isEqualTo(5_000);
        assertThat(plan.count(Action.NOOP)).isEqualTo(5_000);
    }
}
