package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.provider.HandlerProvider;
import io.berrys.mesh.provisioner.provider.ResourceHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/** The AWS provider: one handler per kind of resource, each calling its service's SDK client. */
public final class AwsProvider extends HandlerProvider {

    public AwsProvider(AwsClients aws, ExecutorService pool) {
        super("AWS", handlers(aws), pool);
    }

    private static List<ResourceHandler> handlers(AwsClients aws) {
        List<ResourceHandler> all = new ArrayList<>(Network.handlers(aws));
        all.add(new Keys(aws));
        all.add(new Secrets(aws));
        all.add(buckets(aws));
        all.add(new Repositories(aws));
        all.addAll(Clusters.handlers(aws));
        all.addAll(Databases.handlers(aws));
        all.addAll(Caches.handlers(aws));
        return all;
    }

    /** S3 buckets alone: the {@code local} provider keeps its buckets in a local S3 server. */
    public static ResourceHandler buckets(AwsClients aws) {
        return new Buckets(aws);
    }

    @Override
    public boolean transientFailure(RuntimeException failure) {
        return passing(failure);
    }

    /** Throttling, a server error or no answer from an AWS API (or a local S3 server). */
    public static boolean passing(RuntimeException failure) {
        return Waiter.passing(failure);
    }
}
