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
import java.util.stream.Collectors;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * KMS keys, in whichever region their spec puts them. The physical id is the key's ARN: what RDS, S3 and Secrets
 * Manager are given, and unique across regions. A deleted key only becomes pending deletion (seven days, the
 * shortest wait KMS allows); such a key is treated as gone.
 */
final class Keys extends Handler {

    private static final int DELETION_WAIT_DAYS = 7;

    Keys(AwsClients aws) {
        super(aws);
    }

    @Override
    public Kind kind() {
        return Kind.KMS_KEY;
    }

    private record Described(KeyMetadata key, String region, String alias, boolean rotation) {}

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        for (String region : scope.regions()) {
            KmsClient kms = aws.kms(region);
            Map<String, String> aliases = new LinkedHashMap<>();
            for (AliasListEntry alias : kms.listAliasesPaginator(r -> {}).aliases()) {
                if (alias.targetKeyId() != null) {
                    aliases.putIfAbsent(alias.targetKeyId(), alias.aliasName());
                }
            }
            for (KeyListEntry entry : kms.listKeysPaginator(r -> {}).keys()) {
                // Tags first: other keys of the account (asymmetric, HMAC, imported) refuse a rotation read.
                Map<String, String> tags = kms.listResourceTags(r -> r.keyId(entry.keyId())).tags().stream()
                        .collect(Collectors.toMap(Tag::tagKey, Tag::tagValue, (a, b) -> b));
                if (!scope.environment().equals(tags.get(io.berrys.mesh.provisioner.provider.Tags.ENVIRONMENT))) {
                    continue;
                }
                KeyMetadata key = kms.describeKey(r -> r.keyId(entry.keyId())).keyMetadata();
                if (key.keyState() == KeyState.PENDING_DELETION
                        || key.keyState() == KeyState.PENDING_REPLICA_DELETION) {
                    continue;
                }
                boolean rotation = Boolean.TRUE.equals(
                        kms.getKeyRotationStatus(r -> r.keyId(entry.keyId())).keyRotationEnabled());
                Described described = new Described(key, region, aliases.getOrDefault(key.keyId(), ""), rotation);
                Found.of(scope, tags, key.arn(), described, Map.of("arn", key.arn(), "keyId", key.keyId()))
                        .ifPresent(found::add);
            }
        }
        return found;
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Described described = (Described) found.raw();
        return Map.of(
                "region", described.region(),
                "alias", described.alias(),
                "description",
                        described.key().description() == null
                                ? ""
                                : described.key().description(),
                "rotation", described.rotation());
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        KmsClient kms = aws.kms(desired.text("region"));
        KeyMetadata key = kms.createKey(r -> r.description(desired.text("description"))
                        .tags(tagList(
                                scope,
                                desired,
                                (k, v) -> Tag.builder().tagKey(k).tagValue(v).build())))
                .keyMetadata();
        finish(kms, key.keyId(), desired);
        return new Created(key.arn(), Map.of("arn", key.arn(), "keyId", key.keyId()));
    }

    /** The alias and rotation, which an adopted key (found by tag after a lost answer) may still lack. */
    private static void finish(KmsClient kms, String keyId, Resource desired) {
        if (desired.flag("rotation")) {
            kms.enableKeyRotation(r -> r.keyId(keyId));
        }
        setAlias(kms, keyId, desired.text("alias"));
    }

    private static void setAlias(KmsClient kms, String keyId, String alias) {
        boolean taken = kms.listAliasesPaginator(r -> {}).aliases().stream()
                .anyMatch(a -> a.aliasName().equals(alias));
        if (taken) {
            kms.updateAlias(r -> r.aliasName(alias).targetKeyId(keyId));
        } else {
            kms.createAlias(r -> r.aliasName(alias).targetKeyId(keyId));
        }
    }

    @Override
    void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
        KmsClient kms = aws.kms(desired.text("region"));
        String keyId = actual.outputs().get("keyId");
        switch (change.name()) {
            case "description" ->
                kms.updateKeyDescription(r -> r.keyId(keyId).description(desired.text("description")));
            case "rotation" -> {
                if (desired.flag("rotation")) {
                    kms.enableKeyRotation(r -> r.keyId(keyId));
                } else {
                    kms.disableKeyRotation(r -> r.keyId(keyId));
                }
            }
            case "alias" -> {
                setAlias(kms, keyId, desired.text("alias"));
                String old = String.valueOf(actual.attributes().get("alias"));
                if (!old.isEmpty() && !old.equals(desired.text("alias"))) {
                    ignoringGone(() -> kms.deleteAlias(r -> r.aliasName(old)));
                }
            }
            default -> super.change(scope, desired, actual, change, names);
        }
    }

    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        KmsClient kms = aws.kms(String.valueOf(actual.attributes().get("region")));
        String alias = String.valueOf(actual.attributes().getOrDefault("alias", ""));
        if (!alias.isEmpty()) {
            ignoringGone(() -> kms.deleteAlias(r -> r.aliasName(alias)));
        }
        ignoringGone(() -> kms.scheduleKeyDeletion(
                r -> r.keyId(actual.outputs().get("keyId")).pendingWindowInDays(DELETION_WAIT_DAYS)));
        progress.report(actual.id() + ": key scheduled for deletion in " + DELETION_WAIT_DAYS + " days");
    }
}
