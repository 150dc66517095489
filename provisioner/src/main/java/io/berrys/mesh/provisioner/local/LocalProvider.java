package io.berrys.mesh.provisioner.local;

import io.berrys.mesh.provisioner.aws.AwsClients;
import io.berrys.mesh.provisioner.aws.AwsProvider;
import io.berrys.mesh.provisioner.local.Postgres.PostgresException;
import io.berrys.mesh.provisioner.provider.HandlerProvider;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * The {@code local} provider: an environment on this machine. Its namespace and Secrets in the cluster, its
 * database and role in the local PostgreSQL, its buckets in the local S3 server. Found again by the same tags as on
 * AWS: labels and annotations in the cluster, comments in PostgreSQL, bucket tags in S3.
 */
public final class LocalProvider extends HandlerProvider {

    public LocalProvider(
            KubernetesClient kube, Postgres postgres, String redisUrl, AwsClients s3, ExecutorService pool) {
        super("local", handlers(kube, postgres, redisUrl, s3), pool);
    }

    private static List<io.berrys.mesh.provisioner.provider.ResourceHandler> handlers(
            KubernetesClient kube, Postgres postgres, String redisUrl, AwsClients s3) {
        KubeSecrets secrets = new KubeSecrets(kube, postgres, redisUrl);
        return List.of(
                new Namespaces(kube),
                secrets,
                new PgRoles(postgres, secrets),
                new PgDatabases(postgres),
                AwsProvider.buckets(s3));
    }

    @Override
    public boolean transientFailure(RuntimeException failure) {
        if (failure instanceof KubernetesClientException e) {
            return Kube.passing(e);
        }
        if (failure instanceof PostgresException e) {
            return e.passing();
        }
        return AwsProvider.passing(failure);
    }
}
