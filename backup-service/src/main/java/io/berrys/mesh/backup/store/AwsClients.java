package io.berrys.mesh.backup.store;

import io.berrys.mesh.backup.BackupConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 and RDS clients for the primary and the replica region. With an endpoint override (a local S3-compatible
 * server) requests are path-style and checksums are only sent where the API requires them, which such servers
 * accept.
 */
@ApplicationScoped
public class AwsClients {

    private final BackupConfig.S3 config;
    private final S3Client s3;
    private final S3Client replicaS3;
    private final RdsClient rds;
    private final RdsClient replicaRds;

    public AwsClients(BackupConfig config) {
        this.config = config.s3();
        this.s3 = s3(this.config.region());
        this.replicaS3 = s3(this.config.replicaRegion());
        this.rds = rds(this.config.region());
        this.replicaRds = rds(this.config.replicaRegion());
    }

    private S3Client s3(String region) {
        var builder = S3Client.builder()
                .region(Region.of(region))
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(32))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallTimeout(config.apiTimeout())
                        .build());
        config.endpoint()
                .ifPresent(endpoint -> builder.endpointOverride(URI.create(endpoint))
                        .forcePathStyle(true)
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED));
        return builder.build();
    }

    private RdsClient rds(String region) {
        var builder = RdsClient.builder()
                .region(Region.of(region))
                .httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .apiCallTimeout(config.apiTimeout())
                        .build());
        config.endpoint().ifPresent(endpoint -> builder.endpointOverride(URI.create(endpoint)));
        return builder.build();
    }

    public S3Client s3() {
        return s3;
    }

    public S3Client replicaS3() {
        return replicaS3;
    }

    public RdsClient rds() {
        return rds;
    }

    public RdsClient replicaRds() {
        return replicaRds;
    }

    void close(@Observes ShutdownEvent event) {
        s3.close();
        replicaS3.close();
        rds.close();
        replicaRds.close();
    }
}
