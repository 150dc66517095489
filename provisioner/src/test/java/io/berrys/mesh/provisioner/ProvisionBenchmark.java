package io.berrys.mesh.provisioner;

import static org.assertj.core.api.Assertions.assertThat;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.provisioner.aws.AwsClients;
import io.berrys.mesh.provisioner.aws.AwsProvider;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.plan.Planner;
import io.berrys.mesh.provisioner.plan.PlannerTest;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.spec.SpecReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * bench/provision.sh: the production spec on moto, from nothing, then planned and applied again with nothing to
 * do; and the planner alone over 1,000 and 10,000 resources. Every figure is printed with its sample count, the
 * first (cold) sample reported on its own, never dropped.
 */
class ProvisionBenchmark {

    static final int RUNS = Integer.getInteger("bench.runs", 5);

    static double millis(Runnable work) {
        long started = System.nanoTime();
        work.run();
        return (System.nanoTime() - started) / 1e6;
    }

    static double median(List<Double> samples) {
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static void print(String key, double value) {
        System.out.printf("%s=%.1f%n", key, value);
    }

    /** Samples of one measurement: the first one, the median and the worst of all (the first included). */
    static void report(String key, String unit, int runs, Supplier<Double> sample) {
        List<Double> samples = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            samples.add(sample.get());
        }
        print(key + unit, median(samples));
        print(key + "_first" + unit, samples.get(0));
        print(key + "_max" + unit, Collections.max(samples));
        System.out.println(key + "_samples=" + runs);
    }

    @Test
    void provision() throws Exception {
        String endpoint = LocalServers.requireMoto();
        ExecutorService observing = Executors.newFixedThreadPool(8);
        ExecutorService steps = Executors.newFixedThreadPool(8);
        try (AwsClients aws = new AwsClients(Optional.of(URI.create(endpoint)), Duration.ofSeconds(30))) {
            Engine engine = new Engine(
                    new AwsProvider(aws, observing), new io.berrys.mesh.provisioner.aws.MemoryMarkers(), steps);
            String environment = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            String prefix = "berrys-" + environment;
            String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"))
                    .replace("environment: production", "environment: " + environment)
                    .replace("berrys-production", prefix)
                    .replace("prefix: berrys", "prefix: " + prefix);
            List<Resource> desired = Blueprint.aws(SpecReader.read("production.yaml", yaml));
            Scope scope = new Scope(environment, "us-east-1", List.of("us-east-1", "us-west-2"));
            System.out.println("seed_spec_resources=" + desired.size());

            double fromScratch = millis(() -> engine.apply(scope, desired, false, line -> {}));
            assertThat(engine.plan(scope, desired).pending()).isEmpty();
            print("apply_from_scratch_s", fromScratch / 1000);
            System.out.println("apply_from_scratch_samples=1");

            report("plan_ms_seed_spec", "", RUNS, () -> millis(() -> engine.plan(scope, desired)));
            report(
                    "noop_apply",
                    "_s",
                    RUNS,
                    () -> millis(() -> {
                                var outcome = engine.apply(scope, desired, false, line -> {});
                                assertThat(outcome.plan().pending()).isEmpty();
                            })
                            / 1000);
        } finally {
            observing.shutdownNow();
            steps.shutdownNow();
        }

        for (int size : List.of(1_000, 10_000)) {
            List<Resource> resources = PlannerTest.synthetic(size);
            Map<String, Observed> observed = PlannerTest.cloud(resources);
            // One resource in a hundred changed: a diff to render, not only noops.
            List<Resource> wanted = new ArrayList<>();
            for (int i = 0; i < resources.size(); i++) {
                Resource r = resources.get(i);
                if (i % 100 == 1) {
                    TreeMap<String, Object> attributes = new TreeMap<>(r.attributes());
                    attributes.put("publicIp", true);
                    r = new Resource(r.id(), r.kind(), attributes, r.protect());
                }
                wanted.add(r);
            }
            report(
                    "plan_ms_" + size,
                    "",
                    RUNS,
                    () -> millis(() -> {
                        Plan plan = Planner.plan(wanted, observed);
                        assertThat(plan.diff()).isNotEmpty();
                    }));
        }
    }
}
