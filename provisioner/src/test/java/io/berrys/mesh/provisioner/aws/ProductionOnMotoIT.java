package io.berrys.mesh.provisioner.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berrys.mesh.events.testing.LocalServers;
import io.berrys.mesh.provisioner.engine.Engine;
import io.berrys.mesh.provisioner.model.Blueprint;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.Action;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.plan.Plan;
import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.spec.SpecReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.services.ecr.model.ImageTagMutability;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The whole production spec (network, KMS, EKS, RDS, ElastiCache, S3, ECR, Secrets Manager) applied on moto, its
 * attributes read back through the SDK, re-planned as a no-op, changed, drifted out of band and destroyed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProductionOnMotoIT {

    static AwsClients aws;
    static ExecutorService pool;
    static AwsProvider provider;
    static Engine engine;
    static Scope scope;
    static String prefix;
    static List<Resource> desired;
    static final MemoryMarkers markers = new MemoryMarkers();
    static final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        String endpoint = LocalServers.requireMoto();
        aws = new AwsClients(Optional.of(URI.create(endpoint)), Duration.ofSeconds(30));
        pool = Executors.newFixedThreadPool(8);
        provider = new AwsProvider(aws, pool);
        engine = new Engine(provider, markers, pool);
        // Names are global in S3 and per account elsewhere, and moto keeps what earlier runs made: a fresh
        // environment and fresh names per run.
        String run = UUID.randomUUID().toString().substring(0, 8);
        String environment = "it-" + run;
        prefix = "berrys-" + environment;
        String yaml = Files.readString(Path.of("../deploy/environments/production.yaml"))
                .replace("environment: production", "environment: " + environment)
                .replace("berrys-production", prefix)
                .replace("prefix: berrys", "prefix: " + prefix);
        desired = Blueprint.aws(SpecReader.read("production.yaml", yaml));
        scope = new Scope(environment, "us-east-1", List.of("us-east-1", "us-west-2"));
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        aws.close();
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

    static DBInstance db(String identifier) {
        return aws.rds("us-east-1")
                .describeDBInstances(r -> r.dbInstanceIdentifier(identifier))
                .dbInstances()
                .get(0);
    }

    static String secret(String name) {
        return aws.secretsManager("us-east-1")
                .getSecretValue(r -> r.secretId(name))
                .secretString();
    }

    @Test
    @Order(1)
    void anApplyFromNothingCreatesEveryResourceAsTheSpecSaysIt() {
        var outcome = engine.apply(scope, desired, false, progress::add);

        assertThat(outcome.plan().count(Action.CREATE)).isEqualTo(desired.size());
        assertThat(provider.observe(scope)).hasSize(desired.size());
        assertThat(markers.tokens).isEmpty();

        String keyArn = provider.observe(scope).get(Blueprint.KMS_KEY).physicalId();
        var kms = aws.kms("us-east-1");
        assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyArn)).keyRotationEnabled())
                .isTrue();
        assertThat(kms.listAliases(r -> r.keyId(keyArn)).aliases())
                .extracting(a -> a.aliasName())
                .containsExactly("alias/" + prefix);

        var cluster = aws.eks("us-east-1").describeCluster(r -> r.name(prefix)).cluster();
        assertThat(cluster.version()).isEqualTo("1.30");
        assertThat(cluster.resourcesVpcConfig().endpointPublicAccess()).isFalse();
        assertThat(cluster.resourcesVpcConfig().subnetIds()).hasSize(3);
        var nodes = aws.eks("us-east-1")
                .describeNodegroup(r -> r.clusterName(prefix).nodegroupName("general"))
                .nodegroup();
        assertThat(nodes.instanceTypes()).containsExactly("m5.large");
        assertThat(List.of(
                        nodes.scalingConfig().minSize(),
                        nodes.scalingConfig().desiredSize(),
                        nodes.scalingConfig().maxSize()))
                .containsExactly(3, 3, 10);

        DBInstance primary = db(prefix + "-postgres");
        assertThat(primary.engine()).isEqualTo("postgres");
        assertThat(primary.dbInstanceClass()).isEqualTo("db.t3.large");
        assertThat(primary.allocatedStorage()).isEqualTo(100);
        assertThat(primary.multiAZ()).isTrue();
        assertThat(primary.backupRetentionPeriod()).isEqualTo(7);
        assertThat(primary.storageEncrypted()).isTrue();
        assertThat(primary.kmsKeyId()).isEqualTo(keyArn);
        assertThat(primary.deletionProtection()).isTrue();
        assertThat(primary.publiclyAccessible()).isFalse();
        assertThat(primary.dbSubnetGroup().subnets()).hasSize(3);
        assertThat(db(prefix + "-postgres-replica-1").readReplicaSourceDBInstanceIdentifier())
                .isEqualTo(prefix + "-postgres");
        String password = secret(prefix + "/database-password");
        assertThat(password).hasSize(32);
        assertThat(secret(prefix + "/database-credentials"))
                .isEqualTo("postgresql://" + primary.masterUsername() + ":" + password + "@"
                        + primary.endpoint().address() + ":"
                        + primary.endpoint().port() + "/" + primary.dbName());

        var redis = aws.elastiCache("us-east-1")
                .describeReplicationGroups(r -> r.replicationGroupId(prefix + "-redis"))
                .replicationGroups()
                .get(0);
        assertThat(redis.cacheNodeType()).isEqualTo("cache.t3.medium");
        assertThat(redis.nodeGroups().get(0).nodeGroupMembers()).hasSize(2);
        assertThat(redis.multiAZAsString()).isEqualTo("enabled");
        assertThat(redis.automaticFailoverAsString()).isEqualTo("enabled");
        assertThat(redis.atRestEncryptionEnabled()).isTrue();
        assertThat(redis.transitEncryptionEnabled()).isTrue();
        assertThat(redis.authTokenEnabled()).isTrue();
        String token = secret(prefix + "/redis-auth-token");
        assertThat(secret(prefix + "/redis-credentials"))
                .isEqualTo("rediss://:" + token + "@"
                        + redis.nodeGroups().get(0).primaryEndpoint().address() + ":"
                        + redis.nodeGroups().get(0).primaryEndpoint().port());

        var s3 = aws.s3("us-east-1");
        String backups = prefix + "-backups";
        assertThat(s3.getBucketVersioning(r -> r.bucket(backups)).status()).isEqualTo(BucketVersioningStatus.ENABLED);
        assertThat(s3.getBucketLifecycleConfiguration(r -> r.bucket(backups)).rules())
                .singleElement()
                .satisfies(rule -> assertThat(rule.expiration().days()).isEqualTo(30));
        assertThat(s3.getBucketEncryption(r -> r.bucket(backups))
                        .serverSideEncryptionConfiguration()
                        .rules()
                        .get(0)
                        .applyServerSideEncryptionByDefault())
                .satisfies(d -> {
                    assertThat(d.sseAlgorithm()).isEqualTo(ServerSideEncryption.AWS_KMS);
                    assertThat(d.kmsMasterKeyID()).isEqualTo(keyArn);
                });
        assertThat(s3.getBucketReplication(r -> r.bucket(backups))
                        .replicationConfiguration()
                        .rules()
                        .get(0)
                        .destination()
                        .bucket())
                .isEqualTo("arn:aws:s3:::" + backups + "-dr");
        assertThat(s3.getBucketLocation(r -> r.bucket(backups + "-dr")).locationConstraintAsString())
                .isEqualTo("us-west-2");
        assertThat(s3.getPublicAccessBlock(r -> r.bucket(prefix + "-static"))
                        .publicAccessBlockConfiguration()
                        .blockPublicAcls())
                .isTrue();

        var repositories = aws.ecr("us-east-1").describeRepositories().repositories().stream()
                .filter(r -> r.repositoryName().startsWith(prefix + "/"))
                .toList();
        assertThat(repositories).hasSize(7).allSatisfy(r -> {
            assertThat(r.imageTagMutability()).isEqualTo(ImageTagMutability.IMMUTABLE);
            assertThat(r.imageScanningConfiguration().scanOnPush()).isTrue();
        });
        assertThat(progress).noneMatch(line -> line.contains(password) || line.contains(token));
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
    void oneChangedAttributeIsAnUpdateInPlace() {
        List<Resource> changed = replacing(with(Blueprint.DATABASE, "backupRetentionDays", 14L));

        Plan plan = engine.plan(scope, changed);
        assertThat(plan.summary()).isEqualTo("+0 ~1 -0");
        assertThat(plan.diff()).contains("~ " + Blueprint.DATABASE + ": backupRetentionDays: 7 -> 14");
        engine.apply(scope, changed, false, progress::add);

        assertThat(db(prefix + "-postgres").backupRetentionPeriod()).isEqualTo(14);
        assertThat(engine.plan(scope, changed).pending()).isEmpty();
        desired = changed;
    }

    @Test
    @Order(4)
    void anOutOfBandChangeIsReportedAsDriftAndOnlyRepairedByAnApply() {
        String repository = prefix + "/project-coordinator";
        aws.ecr("us-east-1")
                .putImageTagMutability(
                        r -> r.repositoryName(repository).imageTagMutability(ImageTagMutability.MUTABLE));
        aws.s3("us-east-1")
                .putBucketVersioning(r -> r.bucket(prefix + "-static")
                        .versioningConfiguration(v -> v.status(BucketVersioningStatus.SUSPENDED)));

        Plan drift = engine.plan(scope, desired);

        assertThat(drift.pending()).hasSize(2);
        assertThat(drift.pending()).anySatisfy(change -> {
            assertThat(change.id()).isEqualTo("ecr-repository/project-coordinator");
            assertThat(change.attributes()).extracting(AttributeChange::name).containsExactly("immutableTags");
        });
        assertThat(drift.pending()).anySatisfy(change -> {
            assertThat(change.id()).isEqualTo(Blueprint.STATIC_BUCKET);
            assertThat(change.attributes()).extracting(AttributeChange::name).containsExactly("versioning");
        });
        assertThat(aws.ecr("us-east-1")
                        .describeRepositories(r -> r.repositoryNames(repository))
                        .repositories()
                        .get(0)
                        .imageTagMutability())
                .as("a plan reports drift, it does not repair it")
                .isEqualTo(ImageTagMutability.MUTABLE);

        engine.apply(scope, desired, false, progress::add);
        assertThat(engine.plan(scope, desired).pending()).isEmpty();
    }

    /**
     * The database and the backup buckets are protected in production, so an unforced destroy keeps them and what
     * they stand on. Moto 5.2.5 has no DeleteCacheSubnetGroup: that one step fails, is named, and leaves only what it
     * stands on (already kept for the database); every other branch is still deleted.
     */
    @Test
    @Order(5)
    void destroyWithoutForceKeepsTheProtectedResourcesAndDeletesTheRest() {
        assertThatThrownBy(() -> engine.destroy(scope, false, progress::add))
                .isInstanceOf(Engine.StepFailedException.class)
                .hasMessageStartingWith(Blueprint.CACHE_SUBNETS + ":");

        Map<String, Observed> left = provider.observe(scope);
        List<String> kept = List.of(
                Blueprint.DATABASE,
                "db-replica/1",
                Blueprint.DB_SUBNETS,
                Blueprint.DATABASE_PASSWORD,
                Blueprint.DATABASE_GROUP,
                Blueprint.NODES_GROUP,
                Blueprint.KMS_KEY,
                Blueprint.BACKUP_BUCKET,
                Blueprint.DR_BUCKET,
                Blueprint.DR_KMS_KEY,
                Blueprint.VPC,
                "subnet/database-a",
                "subnet/database-b",
                "subnet/database-c");
        assertThat(left.keySet())
                .containsAll(kept)
                .doesNotContain(
                        Blueprint.CLUSTER,
                        "eks-nodegroup/general",
                        Blueprint.CACHE,
                        Blueprint.REDIS_CREDENTIALS,
                        Blueprint.REDIS_TOKEN,
                        Blueprint.DATABASE_CREDENTIALS,
                        Blueprint.STATIC_BUCKET,
                        "ecr-repository/project-coordinator",
                        "nat-gateway/a",
                        "subnet/private-a");
        List<String> extra = new ArrayList<>(left.keySet());
        extra.removeAll(kept);
        assertThat(extra).as("left beyond the protected resources").containsExactly(Blueprint.CACHE_SUBNETS);
        assertThat(db(prefix + "-postgres").deletionProtection()).isTrue();
        assertThat(progress).anyMatch(line -> line.startsWith("! " + Blueprint.CACHE_SUBNETS + " was not deleted"));
    }
}
