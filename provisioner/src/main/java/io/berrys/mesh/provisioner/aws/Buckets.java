package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Found;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.Scope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ReplicationRuleStatus;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionRule;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * S3 buckets: versioning, a lifecycle that expires old objects and versions, default encryption with the
 * environment's KMS key, replication to the disaster-recovery bucket, and public access blocked. The physical id
 * is the bucket's name, which S3 makes unique.
 */
final class Buckets extends Handler {

    private static final String EXPIRY_RULE = "mesh-expire";
    private static final String REPLICATION_RULE = "mesh-replicate";

    Buckets(AwsClients aws) {
        super(aws);
    }

    @Override
    public Kind kind() {
        return Kind.S3_BUCKET;
    }

    private record Described(
            String name, String region, Map<String, Object> attributes, String replicaArn, String keyArn) {}

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        for (Bucket bucket : aws.s3(scope.region()).listBuckets().buckets()) {
            String name = bucket.name();
            Map<String, String> tags;
            String region;
            try {
                // Each bucket is read in its own region: another region's endpoint answers with a redirect.
                region = bucket.bucketRegion() != null && !bucket.bucketRegion().isEmpty()
                        ? bucket.bucketRegion()
                        : region(scope, name);
                tags = aws.s3(region).getBucketTagging(r -> r.bucket(name)).tagSet().stream()
                        .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
            } catch (AwsServiceException e) {
                if (Ec2Support.gone(e)) {
                    continue; // untagged (NoSuchTagSet) or deleted meanwhile: not ours
                }
                throw e;
            }
            if (!scope.environment().equals(tags.get(io.berrys.mesh.provisioner.provider.Tags.ENVIRONMENT))) {
                continue;
            }
            Described described = describe(name, region);
            Found.of(scope, tags, name, described, outputs(name, described.keyArn()))
                    .ifPresent(found::add);
        }
        return found;
    }

    /** The bucket's ARN, and its KMS key's ARN for a replication rule that copies into it. */
    private static Map<String, String> outputs(String name, String keyArn) {
        return keyArn.isEmpty()
                ? Map.of("arn", "arn:aws:s3:::" + name)
                : Map.of("arn", "arn:aws:s3:::" + name, "kmsKey", keyArn);
    }

    /** GetBucketLocation answers for a bucket of any region from any region's endpoint. */
    private String region(Scope scope, String name) {
        String constraint =
                aws.s3(scope.region()).getBucketLocation(r -> r.bucket(name)).locationConstraintAsString();
        return constraint == null || constraint.isEmpty() ? "us-east-1" : constraint;
    }

    private Described describe(String name, String region) {
        S3Client s3 = aws.s3(region);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", name);
        attributes.put("region", region);
        attributes.put(
                "versioning", s3.getBucketVersioning(r -> r.bucket(name)).status() == BucketVersioningStatus.ENABLED);
        long expireDays = orNone(() -> s3.getBucketLifecycleConfiguration(r -> r.bucket(name)).rules().stream()
                        .filter(rule -> EXPIRY_RULE.equals(rule.id()) && rule.status() == ExpirationStatus.ENABLED)
                        .filter(rule ->
                                rule.expiration() != null && rule.expiration().days() != null)
                        .map(rule -> (long) rule.expiration().days())
                        .findFirst()
                        .orElse(0L))
                .orElse(0L);
        attributes.put("expireDays", expireDays);
        String keyArn = orNone(() ->
                        s3.getBucketEncryption(r -> r.bucket(name)).serverSideEncryptionConfiguration().rules().stream()
                                .map(ServerSideEncryptionRule::applyServerSideEncryptionByDefault)
                                .filter(d -> d != null && d.sseAlgorithm() == ServerSideEncryption.AWS_KMS)
                                .map(d -> d.kmsMasterKeyID() == null ? "" : d.kmsMasterKeyID())
                                .findFirst()
                                .orElse(""))
                .orElse("");
        var replication =
                orNone(() -> s3.getBucketReplication(r -> r.bucket(name)).replicationConfiguration());
        String replicaArn = "";
        String role = "";
        if (replication.isPresent()) {
            role = replication.get().role() == null ? "" : replication.get().role();
            replicaArn = replication.get().rules().stream()
                    .filter(rule -> rule.status() == ReplicationRuleStatus.ENABLED && rule.destination() != null)
                    .map(rule -> rule.destination().bucket())
                    .findFirst()
                    .orElse("");
        }
        attributes.put("replicationRole", role);
        return new Described(name, region, attributes, replicaArn, keyArn);
    }

    /** A read whose "not configured" answer is an error: NoSuchLifecycleConfiguration, ...NotFoundError. */
    private static <T> java.util.Optional<T> orNone(Supplier<T> read) {
        try {
            return java.util.Optional.ofNullable(read.get());
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null
                    ? ""
                    : String.valueOf(e.awsErrorDetails().errorCode());
            if (Ec2Support.gone(e) || code.contains("NotFound") || code.contains("Configuration")) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Described described = (Described) found.raw();
        Map<String, Object> attributes = new LinkedHashMap<>(described.attributes());
        attributes.put("kmsKey", described.keyArn().isEmpty() ? "" : names.logical(described.keyArn()));
        String replica = described.replicaArn().replace("arn:aws:s3:::", "");
        attributes.put("replicateTo", replica.isEmpty() ? "" : names.logical(replica));
        return attributes;
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String name = desired.text("name");
        String region = desired.text("region");
        S3Client s3 = aws.s3(region);
        try {
            s3.createBucket(r -> {
                r.bucket(name);
                if (!region.equals("us-east-1")) {
                    r.createBucketConfiguration(c -> c.locationConstraint(region));
                }
            });
        } catch (AwsServiceException e) {
            // Made by an earlier try whose answer was lost before the bucket was tagged: finish it.
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (!"BucketAlreadyOwnedByYou".equals(code)) {
                throw e;
            }
            progress.report(desired.id() + ": " + name + " was made by an earlier try; tagging and configuring it");
        }
        // Tagged first: from here on an interrupted apply finds this bucket and finishes it rather than making one.
        s3.putBucketTagging(r -> r.bucket(name)
                .tagging(t -> t.tagSet(tagList(
                        scope, desired, (k, v) -> Tag.builder().key(k).value(v).build()))));
        s3.putPublicAccessBlock(r -> r.bucket(name)
                .publicAccessBlockConfiguration(c -> c.blockPublicAcls(true)
                        .blockPublicPolicy(true)
                        .ignorePublicAcls(true)
                        .restrictPublicBuckets(true)));
        for (String attribute : List.of("versioning", "expireDays", "kmsKey", "replicateTo")) {
            configure(s3, desired, attribute, names);
        }
        String key = desired.text("kmsKey");
        return new Created(name, outputs(name, key.isEmpty() ? "" : names.physical(key)));
    }

    private void configure(S3Client s3, Resource desired, String attribute, Names names) {
        String name = desired.text("name");
        switch (attribute) {
            case "versioning" ->
                s3.putBucketVersioning(r -> r.bucket(name)
                        .versioningConfiguration(v -> v.status(
                                desired.flag("versioning")
                                        ? BucketVersioningStatus.ENABLED
                                        : BucketVersioningStatus.SUSPENDED)));
            case "expireDays" -> {
                long days = desired.number("expireDays");
                if (days == 0) {
                    s3.deleteBucketLifecycle(r -> r.bucket(name));
                } else {
                    s3.putBucketLifecycleConfiguration(r -> r.bucket(name)
                            .lifecycleConfiguration(c -> c.rules(LifecycleRule.builder()
                                    .id(EXPIRY_RULE)
                                    .status(ExpirationStatus.ENABLED)
                                    .filter(f -> f.prefix(""))
                                    .expiration(e -> e.days((int) days))
                                    .noncurrentVersionExpiration(e -> e.noncurrentDays((int) days))
                                    .build())));
                }
            }
            case "kmsKey" -> {
                String key = desired.text("kmsKey");
                s3.putBucketEncryption(r -> r.bucket(name)
                        .serverSideEncryptionConfiguration(c -> c.rules(ServerSideEncryptionRule.builder()
                                .applyServerSideEncryptionByDefault(d -> {
                                    if (key.isEmpty()) {
                                        d.sseAlgorithm(ServerSideEncryption.AES256);
                                    } else {
                                        d.sseAlgorithm(ServerSideEncryption.AWS_KMS)
                                                .kmsMasterKeyID(names.physical(key));
                                    }
                                })
                                .bucketKeyEnabled(!key.isEmpty())
                                .build())));
            }
            case "replicateTo", "replicationRole" -> {
                String target = desired.text("replicateTo");
                if (target.isEmpty()) {
                    s3.deleteBucketReplication(r -> r.bucket(name));
                } else {
                    s3.putBucketReplication(r -> r.bucket(name)
                            .replicationConfiguration(c -> c.role(desired.text("replicationRole"))
                                    .rules(rule -> {
                                        rule.id(REPLICATION_RULE)
                                                .status(ReplicationRuleStatus.ENABLED)
                                                .priority(1)
                                                .filter(f -> f.prefix(""))
                                                .deleteMarkerReplication(d -> d.status("Enabled"));
                                        // S3 skips KMS-encrypted objects unless the rule names them and the key
                                        // to encrypt the copies with.
                                        String replicaKey = replicaKey(names, target);
                                        if (replicaKey != null) {
                                            rule.sourceSelectionCriteria(criteria ->
                                                            criteria.sseKmsEncryptedObjects(o -> o.status("Enabled")))
                                                    .destination(d -> d.bucket("arn:aws:s3:::" + names.physical(target))
                                                            .encryptionConfiguration(
                                                                    e -> e.replicaKmsKeyID(replicaKey)));
                                        } else {
                                            rule.destination(d -> d.bucket("arn:aws:s3:::" + names.physical(target)));
                                        }
                                    })));
                }
            }
            default -> throw new IllegalStateException("s3-bucket cannot change " + attribute + " in place");
        }
    }

    private static String replicaKey(Names names, String target) {
        try {
            return names.output(target, "kmsKey");
        } catch (IllegalStateException noKey) {
            return null;
        }
    }

    @Override
    void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
        configure(aws.s3(desired.text("region")), desired, change.name(), names);
    }

    /** Every object version and delete marker first: S3 refuses to delete a bucket that holds any. */
    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        String name = actual.physicalId();
        S3Client s3 = aws.s3(String.valueOf(actual.attributes().get("region")));
        try {
            long removed = 0;
            for (var page : s3.listObjectVersionsPaginator(r -> r.bucket(name))) {
                List<ObjectIdentifier> batch = new ArrayList<>();
                page.versions()
                        .forEach(v -> batch.add(ObjectIdentifier.builder()
                                .key(v.key())
                                .versionId(v.versionId())
                                .build()));
                page.deleteMarkers()
                        .forEach(m -> batch.add(ObjectIdentifier.builder()
                                .key(m.key())
                                .versionId(m.versionId())
                                .build()));
                if (!batch.isEmpty()) {
                    s3.deleteObjects(
                            r -> r.bucket(name).delete(d -> d.objects(batch).quiet(true)));
                    removed += batch.size();
                    progress.report(actual.id() + ": emptied " + removed + " object versions");
                }
            }
        } catch (AwsServiceException e) {
            if (!Ec2Support.gone(e)) {
                throw e;
            }
        }
        ignoringGone(() -> s3.deleteBucket(r -> r.bucket(name)));
    }
}
