package io.berrys.mesh.provisioner.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.provisioner.aws.FaultProxy.Fault;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Action;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import io.berrys.mesh.provisioner.spec.SpecReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;

/**
 * Applies through a proxy that slows, throttles and drops AWS's answers, and an apply killed with SIGKILL half-way
 * then applied again: each time the environment ends up with every resource exactly once.
 */
class FaultsOnMotoIT {

    static FaultProxy proxy;
    static AwsClients aws;
    static ExecutorService observing;
    static ExecutorService steps;
    static Engine engine;
    static URI moto;

    @BeforeAll
    static void start() throws Exception {
        moto = URI.create(LocalServers.requireMoto());
        proxy = new FaultProxy(moto);
        aws = new AwsClients(Optional.of(proxy.endpoint()), Duration.ofSeconds(30));
        observing = Executors.newFixedThreadPool(8);
        steps = Executors.newFixedThreadPool(8);
        engine = new Engine(new AwsProvider(aws, observing), new MemoryMarkers(), steps);
    }

    @AfterAll
    static void stop() {
        observing.shutdownNow();
        steps.shutdownNow();
        aws.close();
        proxy.close();
    }

    @AfterEach
    void noMoreFaults() {
        proxy.clear();
    }

    /** The production spec's network, for an environment of the given name. */
    static List<Resource> network(String environment) throws Exception {
        String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"))
                .replace("environment: production", "environment: " + environment);
        return Blueprint.aws(SpecReader.read("production.yaml", yaml)).stream()
                .filter(r -> NetworkOnMotoIT.NETWORK.contains(r.kind()))
                .toList();
    }

    static Scope scope(String environment) {
        return new Scope(environment, "us-east-1", List.of("us-east-1", "us-west-2"));
    }

    /** What moto holds for the environment, straight from moto (not through the proxy), by kind. */
    static Map<String, Integer> counted(String environment) {
        try (AwsClients direct = new AwsClients(Optional.of(moto), Duration.ofSeconds(30))) {
            Ec2Client ec2 = direct.ec2("us-east-1");
            Filter tagged = Filter.builder()
                    .name("tag:" + Tags.ENVIRONMENT)
                    .values(environment)
                    .build();
            return Map.of(
                    "vpcs", ec2.describeVpcs(r -> r.filters(tagged)).vpcs().size(),
                    "subnets",
                            ec2.describeSubnets(r -> r.filters(tagged))
                                    .subnets()
                                    .size(),
                    "addresses",
                            ec2.describeAddresses(r -> r.filters(tagged))
                                    .addresses()
                                    .size(),
                    "natGateways",
                            (int) ec2.describeNatGateways(r -> r.filter(tagged)).natGateways().stream()
                                    .filter(g -> !g.stateAsString().startsWith("delet"))
                                    .filter(g -> g.tags().stream()
                                            .anyMatch(t -> t.key().equals(Tags.ENVIRONMENT)
                                                    && t.value().equals(environment)))
                                    .count(),
                    "securityGroups",
                            ec2.describeSecurityGroups(r -> r.filters(tagged))
                                    .securityGroups()
                                    .size());
        }
    }

    static final Map<String, Integer> ONCE_EACH =
            Map.of("vpcs", 1, "subnets", 9, "addresses", 3, "natGateways", 3, "securityGroups", 3);

    @Test
    void droppedAnswersThrottlingAndDelaysEndWithEveryResourceOnce() throws Exception {
        String environment = "it-faults-" + UUID.randomUUID().toString().substring(0, 8);
        List<Resource> desired = network(environment);
        var droppedVpc = proxy.inject("CreateVpc", Fault.DROP_ANSWER, 1);
        var droppedSubnets = proxy.inject("CreateSubnet", Fault.DROP_ANSWER, 2);
        var droppedAddress = proxy.inject("AllocateAddress", Fault.DROP_ANSWER, 1);
        var throttledGroups = proxy.inject("CreateSecurityGroup", Fault.THROTTLE, 2);
        var throttledReads = proxy.inject("DescribeSubnets", Fault.THROTTLE, 1);
        proxy.delayEvery(Duration.ofMillis(20));
        List<String> progress = new CopyOnWriteArrayList<>();

        var outcome = engine.apply(scope(environment), desired, false, progress::add);

        assertThat(List.of(droppedVpc, droppedSubnets, droppedAddress, throttledGroups, throttledReads))
                .as("every fault struck")
                .extracting(FaultProxy.Rule::struck)
                .containsExactly(1, 2, 1, 2, 1);
        assertThat(proxy.delayed()).isGreaterThan(20);
        assertThat(outcome.plan().count(Action.CREATE)).isEqualTo(desired.size());
        assertThat(counted(environment)).isEqualTo(ONCE_EACH);
        assertThat(progress.stream().filter(line -> line.contains("the lost answer is not retried")))
                .hasSize(4);
        assertThat(engine.plan(scope(environment), desired).pending()).isEmpty();
        engine.destroy(scope(environment), false, line -> {});
    }

    @Test
    void anApplyKilledHalfWayIsFinishedByTheNextWithoutADuplicate() throws Exception {
        String environment = "it-kill-" + UUID.randomUUID().toString().substring(0, 8);
        List<Resource> desired = network(environment);
        // Slow enough that the kill lands while creates are under way.
        proxy.delayEvery(Duration.ofMillis(150));
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Daws.accessKeyId=" + System.getProperty("aws.accessKeyId", "mesh-local"),
                        "-Daws.secretAccessKey=" + System.getProperty("aws.secretAccessKey", "mesh-local"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ApplyInChildProcess.class.getName(),
                        proxy.endpoint().toString(),
                        environment)
                .redirectErrorStream(true)
                .start();
        List<String> seen = new ArrayList<>();
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                seen.add(line);
                if (seen.stream().filter(l -> l.startsWith("+ created")).count() >= 6) {
                    break;
                }
            }
            // SIGKILL: no shutdown hook, no finally block, mid-wave.
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).as("killed by SIGKILL: " + seen).isEqualTo(137);
        Map<String, Observed> halfWay = new AwsProvider(aws, observing).observe(scope(environment));
        assertThat(halfWay.size()).as("the kill came half-way").isBetween(6, desired.size() - 1);
        proxy.delayEvery(Duration.ZERO);

        var outcome = engine.apply(scope(environment), desired, false, line -> {});

        assertThat(outcome.plan().count(Action.CREATE)).isEqualTo(desired.size() - halfWay.size());
        assertThat(counted(environment)).isEqualTo(ONCE_EACH);
        assertThat(engine.plan(scope(environment), desired).pending()).isEmpty();
        assertThat(halfWay.values()).noneMatch(o -> o.kind() == Kind.KMS_KEY);
        engine.destroy(scope(environment), false, line -> {});
    }
}
