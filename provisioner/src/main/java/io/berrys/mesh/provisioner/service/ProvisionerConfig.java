package io.berrys.mesh.provisioner.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The provisioner's settings; documented in the module README. */
@ConfigMapping(prefix = "mesh.provisioner")
public interface ProvisionerConfig {

    /** Where the environment specs are: one {@code <environment>.yaml} each. */
    @WithDefault("deploy/environments")
    Path environments();

    /** Environments the scheduled drift check looks at; none by default. */
    Optional<List<String>> driftEnvironments();

    /** How often the scheduled drift check runs. */
    @WithDefault("PT15M")
    Duration driftInterval();

    /** Finished runs kept for {@code GET .../runs/{id}}, newest first. */
    @WithDefault("200")
    int keptRuns();

    Aws aws();

    /** Where the {@code local} provider keeps environments; the cluster is the Kubernetes client's (kubeconfig). */
    Local local();

    interface Local {
        Postgres postgres();

        /** What an environment's {@code redis-credentials} Secret holds: the local Redis, without a password. */
        @WithDefault("redis://127.0.0.1:6390")
        String redisUrl();

        /** The local S3 server for buckets; the AWS endpoint (moto) when absent. */
        Optional<URI> s3Endpoint();

        /** A role that may create roles and databases; it needs no superuser rights. */
        interface Postgres {
            @WithDefault("127.0.0.1")
            String host();

            @WithDefault("5442")
            int port();

            /** The database it connects to while it creates and drops the environments' ones. */
            @WithDefault("postgres")
            String database();

            @WithDefault("mesh_provisioner")
            String user();

            Optional<String> password();
        }
    }

    interface Aws {
        /** Another endpoint for every AWS API (a local moto server); AWS itself when absent. */
        Optional<URI> endpoint();

        /** One API call's limit; a slower answer counts as lost and the call is retried after a lookup. */
        @WithDefault("PT30S")
        Duration callTimeout();
    }
}
