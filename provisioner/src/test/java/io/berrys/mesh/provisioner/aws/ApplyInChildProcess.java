package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.provider.Scope;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** An apply of the network of an environment in a JVM of its own, for FaultsOnMotoIT to kill -9 half-way. */
public final class ApplyInChildProcess {

    private ApplyInChildProcess() {}

    /** Arguments: the AWS endpoint and the environment's name. Prints each progress line as it comes. */
    public static void main(String[] args) throws Exception {
        ExecutorService observing = Executors.newFixedThreadPool(4);
        ExecutorService steps = Executors.newFixedThreadPool(4);
        try (AwsClients aws = new AwsClients(Optional.of(URI.create(args[0])), Duration.ofSeconds(30))) {
            Engine engine = new Engine(new AwsProvider(aws, observing), new MemoryMarkers(), steps);
            Scope scope = new Scope(args[1], "us-east-1", List.of("us-east-1", "us-west-2"));
            engine.apply(scope, FaultsOnMotoIT.network(args[1]), false, line -> {
                System.out.println(line);
                System.out.flush();
            });
        } finally {
            observing.shutdownNow();
            steps.shutdownNow();
        }
    }
}
