package io.berrys.mesh.provisioner.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.eks.EksClient;
import software.amazon.awssdk.services.elasticache.ElastiCacheClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * The SDK clients, one per service and region, made on first use. They never retry on their own: after a create
 * whose answer was lost, a blind retry would make a second resource, so the engine retries, looking the resource
 * up by its tags first.
 */
public final class AwsClients implements AutoCloseable {

    private final Optional<URI> endpoint;
    private final Duration callTimeout;
    private final Map<String, SdkClient> clients = new ConcurrentHashMap<>();

    public AwsClients(Optional<URI> endpoint, Duration callTimeout) {
        this.endpoint = endpoint;
        this.callTimeout = callTimeout;
    }

    public Ec2Client ec2(String region) {
        return client(
                "ec2",
                region,
                Ec2Client.class,
                r -> configure(Ec2Client.builder(), r).build());
    }

    public KmsClient kms(String region) {
        return client(
                "kms",
                region,
                KmsClient.class,
                r -> configure(KmsClient.builder(), r).build());
    }

    /** Path-style addressing: bucket names as path segments work against any endpoint, a local one included. */
    public S3Client s3(String region) {
        return client(
                "s3",
                region,
                S3Client.class,
                r -> configure(S3Client.builder(), r)
                        .forcePathStyle(endpoint.isPresent())
                        .build());
    }

    public EcrClient ecr(String region) {
        return client(
                "ecr",
                region,
                EcrClient.class,
                r -> configure(EcrClient.builder(), r).build());
    }

    public EksClient eks(String region) {
        return client(
                "eks",
                region,
                EksClient.class,
                r -> configure(EksClient.builder(), r).build());
    }

    public ElastiCacheClient elastiCache(String region) {
        return client(
                "elasticache",
                region,
                ElastiCacheClient.class,
                r -> configure(ElastiCacheClient.builder(), r).build());
    }

    public RdsClient rds(String region) {
        return client(
                "rds",
                region,
                RdsClient.class,
                r -> configure(RdsClient.builder(), r).build());
    }

    public SecretsManagerClient secretsManager(String region) {
        return client(
                "secretsmanager",
                region,
                SecretsManagerClient.class,
                r -> configure(SecretsManagerClient.builder(), r).build());
    }

    <C extends SdkClient> C client(String service, String region, Class<C> type, Function<String, C> make) {
        return type.cast(clients.computeIfAbsent(service + "@" + region, key -> make.apply(region)));
    }

    <B extends AwsClientBuilder<B, ?>> B configure(B builder, String region) {
        builder.region(Region.of(region))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(callTimeout)
                        .build());
        endpoint.ifPresent(builder::endpointOverride);
        if (builder instanceof software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<?, ?> sync) {
            sync.httpClientBuilder(ApacheHttpClient.builder().maxConnections(16));
        }
        return builder;
    }

    @Override
    public void close() {
        clients.values().forEach(SdkClient::close);
        clients.clear();
    }
}
