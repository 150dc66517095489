package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import io.berrys.mesh.provisioner.provider.Created;
import io.berrys.mesh.provisioner.provider.Found;
import io.berrys.mesh.provisioner.provider.Names;
import io.berrys.mesh.provisioner.provider.Progress;
import io.berrys.mesh.provisioner.provider.ResourceHandler;
import io.berrys.mesh.provisioner.provider.Scope;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSubnetGroup;
import software.amazon.awssdk.services.rds.model.ModifyDbInstanceRequest;
import software.amazon.awssdk.services.rds.model.Tag;
import software.amazon.awssdk.services.rds.model.VpcSecurityGroupMembership;

/** RDS: the database subnet group, the PostgreSQL primary and its read replicas. Physical ids are identifiers. */
final class Databases {

    /** Creating or changing a Multi-AZ instance takes AWS tens of minutes. */
    static final Duration READY_TIMEOUT = Duration.ofMinutes(60);

    private static final Set<String> FAILED = Set.of(
            "failed",
            "incompatible-parameters",
            "incompatible-restore",
            "incompatible-network",
            "storage-full",
            "inaccessible-encryption-credentials");

    private Databases() {}

    static List<ResourceHandler> handlers(AwsClients aws) {
        return List.of(new SubnetGroups(aws), new Instances(aws), new Replicas(aws));
    }

    private static Map<String, String> map(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
    }

    private static List<Tag> tags(Scope scope, Resource desired) {
        return Handler.tagList(
                scope, desired, (k, v) -> Tag.builder().key(k).value(v).build());
    }

    static List<Tag> withSecret(List<Tag> tags, String secretId) {
        List<Tag> all = new ArrayList<>(tags);
        all.add(Tag.builder()
                .key(io.berrys.mesh.provisioner.provider.Tags.SECRET)
                .value(secretId)
                .build());
        return all;
    }

    private abstract static class RdsHandler extends Handler {
        RdsHandler(AwsClients aws) {
            super(aws);
        }

        RdsClient rds(Scope scope) {
            return aws.rds(scope.region());
        }

        /** Primaries and replicas come from one listing; each handler keeps its own. */
        List<Found> instances(Scope scope, boolean replicas) {
            List<Found> found = new ArrayList<>();
            for (DBInstance db :
                    rds(scope).describeDBInstancesPaginator(r -> {}).dbInstances()) {
                boolean replica = db.readReplicaSourceDBInstanceIdentifier() != null;
                if (replica != replicas || "deleting".equals(db.dbInstanceStatus())) {
                    continue;
                }
                Found.of(scope, map(db.tagList()), db.dbInstanceIdentifier(), db, outputs(db))
                        .ifPresent(found::add);
            }
            return found;
        }

        static Map<String, String> outputs(DBInstance db) {
            Map<String, String> outputs = new LinkedHashMap<>();
            outputs.put("arn", db.dbInstanceArn());
            if (db.endpoint() != null) {
                outputs.put("endpoint", db.endpoint().address());
                outputs.put("port", String.valueOf(db.endpoint().port()));
            }
            if (db.masterUsername() != null) {
                outputs.put("masterUser", db.masterUsername());
            }
            if (db.dbName() != null) {
                outputs.put("dbName", db.dbName());
            }
            return outputs;
        }

        void awaitAvailable(Scope scope, String identifier, Progress progress) {
            Waiter.until(
                    "db-instance " + identifier,
                    READY_TIMEOUT,
                    progress,
                    () -> status(scope, identifier),
                    Set.of("available"),
                    FAILED);
        }

        void awaitGone(Scope scope, String identifier, Progress progress) {
            Set<String> gone = new java.util.HashSet<>();
            gone.add(null);
            Waiter.until(
                    "deletion of db-instance " + identifier,
                    READY_TIMEOUT,
                    progress,
                    () -> status(scope, identifier),
                    gone,
                    Set.of());
        }

        String status(Scope scope, String identifier) {
            try {
                return rds(scope).describeDBInstances(r -> r.dbInstanceIdentifier(identifier)).dbInstances().stream()
                        .findFirst()
                        .map(DBInstance::dbInstanceStatus)
                        .orElse(null);
            } catch (AwsServiceException e) {
                if (Ec2Support.gone(e)) {
                    return null;
                }
                throw e;
            }
        }

        Created created(Scope scope, String identifier) {
            DBInstance db = rds(scope)
                    .describeDBInstances(r -> r.dbInstanceIdentifier(identifier))
                    .dbInstances()
                    .get(0);
            return new Created(identifier, outputs(db));
        }

        void modify(
                Scope scope,
                String identifier,
                java.util.function.Consumer<ModifyDbInstanceRequest.Builder> how,
                Progress progress) {
            rds(scope).modifyDBInstance(r -> {
                r.dbInstanceIdentifier(identifier).applyImmediately(true);
                how.accept(r);
            });
            awaitAvailable(scope, identifier, progress);
        }
    }

    static final class SubnetGroups extends RdsHandler {
        SubnetGroups(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.DB_SUBNET_GROUP;
        }

        @Override
        public List<Found> find(Scope scope) {
            List<Found> found = new ArrayList<>();
            for (DBSubnetGroup group :
                    rds(scope).describeDBSubnetGroupsPaginator(r -> {}).dbSubnetGroups()) {
                Map<String, String> tags = map(rds(scope)
                        .listTagsForResource(r -> r.resourceName(group.dbSubnetGroupArn()))
                        .tagList());
                Found.of(scope, tags, group.dbSubnetGroupName(), group, Map.of())
                        .ifPresent(found::add);
            }
            return found;
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            DBSubnetGroup group = (DBSubnetGroup) found.raw();
            return Map.of(
                    "name", group.dbSubnetGroupName(),
                    "subnets",
                            group.subnets().stream()
                                    .map(s -> names.logical(s.subnetIdentifier()))
                                    .toList());
        }

        private static List<String> subnets(Resource desired, Names names) {
            return desired.list("subnets").stream().map(names::physical).toList();
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            rds(scope)
                    .createDBSubnetGroup(r -> r.dbSubnetGroupName(desired.text("name"))
                            .dbSubnetGroupDescription("database subnets of " + scope.environment())
                            .subnetIds(subnets(desired, names))
                            .tags(tags(scope, desired)));
            return new Created(desired.text("name"), Map.of());
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            if (change.name().equals("subnets")) {
                rds(scope)
                        .modifyDBSubnetGroup(
                                r -> r.dbSubnetGroupName(actual.physicalId()).subnetIds(subnets(desired, names)));
            } else {
                super.change(scope, desired, actual, change, names);
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> rds(scope).deleteDBSubnetGroup(r -> r.dbSubnetGroupName(actual.physicalId())));
        }
    }

    static final class Instances extends RdsHandler {
        Instances(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.DB_INSTANCE;
        }

        @Override
        public List<Found> find(Scope scope) {
            return instances(scope, false);
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            DBInstance db = (DBInstance) found.raw();
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("identifier", db.dbInstanceIdentifier());
            attributes.put("engine", db.engine());
            attributes.put("engineVersion", engineVersion(db));
            attributes.put("instanceClass", db.dbInstanceClass());
            attributes.put("storageGb", (long) db.allocatedStorage());
            attributes.put("multiAz", Boolean.TRUE.equals(db.multiAZ()));
            attributes.put("backupRetentionDays", (long) db.backupRetentionPeriod());
            attributes.put("encrypted", Boolean.TRUE.equals(db.storageEncrypted()));
            attributes.put("kmsKey", db.kmsKeyId() == null ? "" : names.logical(db.kmsKeyId()));
            attributes.put("deletionProtection", Boolean.TRUE.equals(db.deletionProtection()));
            attributes.put(
                    "subnetGroup",
                    db.dbSubnetGroup() == null
                            ? ""
                            : names.logical(db.dbSubnetGroup().dbSubnetGroupName()));
            attributes.put(
                    "securityGroups",
                    db.vpcSecurityGroups().stream()
                            .map(VpcSecurityGroupMembership::vpcSecurityGroupId)
                            .map(names::logical)
                            .toList());
            attributes.put("masterUser", db.masterUsername());
            attributes.put("dbName", db.dbName() == null ? "" : db.dbName());
            String secret = map(db.tagList()).get(io.berrys.mesh.provisioner.provider.Tags.SECRET);
            if (secret != null) {
                attributes.put("passwordSecret", secret);
            }
            return attributes;
        }

        /**
         * A spec naming only a major version ("15") leaves the minor versions to AWS's automatic upgrades, so an
         * instance with those on is read as its major version and a minor upgrade is not drift.
         */
        private static String engineVersion(DBInstance db) {
            String version = db.engineVersion() == null ? "" : db.engineVersion();
            if (Boolean.TRUE.equals(db.autoMinorVersionUpgrade()) && version.contains(".")) {
                return version.substring(0, version.indexOf('.'));
            }
            return version;
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String identifier = desired.text("identifier");
            String password = Secrets.read(aws, scope, names, desired.text("passwordSecret"));
            String version = desired.text("engineVersion");
            rds(scope)
                    .createDBInstance(r -> r.dbInstanceIdentifier(identifier)
                            .engine(desired.text("engine"))
                            .engineVersion(version)
                            .autoMinorVersionUpgrade(!version.contains("."))
                            .dbInstanceClass(desired.text("instanceClass"))
                            .allocatedStorage((int) desired.number("storageGb"))
                            .multiAZ(desired.flag("multiAz"))
                            .backupRetentionPeriod((int) desired.number("backupRetentionDays"))
                            .storageEncrypted(desired.flag("encrypted"))
                            .kmsKeyId(names.physical(desired.text("kmsKey")))
                            .deletionProtection(desired.flag("deletionProtection"))
                            .dbSubnetGroupName(names.physical(desired.text("subnetGroup")))
                            .vpcSecurityGroupIds(desired.list("securityGroups").stream()
                                    .map(names::physical)
                                    .toList())
                            .publiclyAccessible(false)
                            .copyTagsToSnapshot(true)
                            .masterUsername(desired.text("masterUser"))
                            .masterUserPassword(password)
                            .dbName(desired.text("dbName"))
                            .tags(withSecret(tags(scope, desired), desired.text("passwordSecret"))));
            awaitAvailable(scope, identifier, progress);
            return created(scope, identifier);
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            String identifier = actual.physicalId();
            Progress quiet = message -> {};
            switch (change.name()) {
                case "engineVersion" ->
                    modify(
                            scope,
                            identifier,
                            r -> r.engineVersion(desired.text("engineVersion")).allowMajorVersionUpgrade(true),
                            quiet);
                case "instanceClass" ->
                    modify(scope, identifier, r -> r.dbInstanceClass(desired.text("instanceClass")), quiet);
                case "storageGb" ->
                    modify(scope, identifier, r -> r.allocatedStorage((int) desired.number("storageGb")), quiet);
                case "multiAz" -> modify(scope, identifier, r -> r.multiAZ(desired.flag("multiAz")), quiet);
                case "backupRetentionDays" ->
                    modify(
                            scope,
                            identifier,
                            r -> r.backupRetentionPeriod((int) desired.number("backupRetentionDays")),
                            quiet);
                case "deletionProtection" ->
                    modify(scope, identifier, r -> r.deletionProtection(desired.flag("deletionProtection")), quiet);
                // The password secret was replaced: the instance takes the new password.
                case "passwordSecret" -> {
                    String password = Secrets.read(aws, scope, names, desired.text("passwordSecret"));
                    modify(scope, identifier, r -> r.masterUserPassword(password), quiet);
                }
                case "securityGroups" ->
                    modify(
                            scope,
                            identifier,
                            r -> r.vpcSecurityGroupIds(desired.list("securityGroups").stream()
                                    .map(names::physical)
                                    .toList()),
                            quiet);
                default -> super.change(scope, desired, actual, change, names);
            }
        }

        /** Deletion protection is lifted only here, on a forced destroy, and a final snapshot is kept. */
        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            String identifier = actual.physicalId();
            if (Boolean.TRUE.equals(actual.attributes().get("deletionProtection"))) {
                progress.report(actual.id() + ": lifting deletion protection");
                modify(scope, identifier, r -> r.deletionProtection(false), progress);
            }
            String snapshot = identifier + "-final-"
                    + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
            ignoringGone(() -> rds(scope)
                    .deleteDBInstance(r -> r.dbInstanceIdentifier(identifier)
                            .skipFinalSnapshot(false)
                            .finalDBSnapshotIdentifier(snapshot)));
            progress.report(actual.id() + ": deleting, final snapshot " + snapshot);
            awaitGone(scope, identifier, progress);
        }
    }

    static final class Replicas extends RdsHandler {
        Replicas(AwsClients aws) {
            super(aws);
        }

        @Override
        public Kind kind() {
            return Kind.DB_REPLICA;
        }

        @Override
        public List<Found> find(Scope scope) {
            return instances(scope, true);
        }

        @Override
        public Map<String, Object> attributes(Found found, Names names) {
            DBInstance db = (DBInstance) found.raw();
            String source = db.readReplicaSourceDBInstanceIdentifier();
            // A source in the same region is named by identifier, one elsewhere by ARN.
            String identifier = source.startsWith("arn:") ? source.substring(source.lastIndexOf(':') + 1) : source;
            return Map.of(
                    "identifier", db.dbInstanceIdentifier(),
                    "source", names.logical(identifier),
                    "instanceClass", db.dbInstanceClass());
        }

        @Override
        public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
            String identifier = desired.text("identifier");
            rds(scope)
                    .createDBInstanceReadReplica(r -> r.dbInstanceIdentifier(identifier)
                            .sourceDBInstanceIdentifier(names.physical(desired.text("source")))
                            .dbInstanceClass(desired.text("instanceClass"))
                            .publiclyAccessible(false)
                            .tags(tags(scope, desired)));
            awaitAvailable(scope, identifier, progress);
            return created(scope, identifier);
        }

        @Override
        void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
            if (change.name().equals("instanceClass")) {
                modify(scope, actual.physicalId(), r -> r.dbInstanceClass(desired.text("instanceClass")), m -> {});
            } else {
                super.change(scope, desired, actual, change, names);
            }
        }

        @Override
        public void delete(Scope scope, Observed actual, Progress progress) {
            ignoringGone(() -> rds(scope)
                    .deleteDBInstance(
                            r -> r.dbInstanceIdentifier(actual.physicalId()).skipFinalSnapshot(true)));
            awaitGone(scope, actual.physicalId(), progress);
        }
    }
}
