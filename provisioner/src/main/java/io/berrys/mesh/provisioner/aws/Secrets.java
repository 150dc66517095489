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
import io.berrys.mesh.provisioner.provider.SecretValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * Secrets Manager secrets. Their values are made here and go only to Secrets Manager: a generated password or
 * token, or a URL built from a database's or cache's endpoint and another secret. A value is never read back for
 * a plan (it is create-only), so drift checks never touch it. The physical id is the secret's ARN.
 */
final class Secrets extends Handler {

    Secrets(AwsClients aws) {
        super(aws);
    }

    @Override
    public Kind kind() {
        return Kind.SECRET;
    }

    private SecretsManagerClient secrets(Scope scope) {
        return aws.secretsManager(scope.region());
    }

    @Override
    public List<Found> find(Scope scope) {
        List<Found> found = new ArrayList<>();
        for (SecretListEntry secret : secrets(scope).listSecretsPaginator(r -> {}).stream()
                .flatMap(page -> page.secretList().stream())
                .toList()) {
            Map<String, String> tags =
                    secret.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
            Found.of(scope, tags, secret.arn(), secret, Map.of("arn", secret.arn(), "name", secret.name()))
                    .ifPresent(found::add);
        }
        return found;
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        SecretListEntry secret = (SecretListEntry) found.raw();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", secret.name());
        attributes.put("description", secret.description() == null ? "" : secret.description());
        attributes.put("kmsKey", secret.kmsKeyId() == null ? "" : names.logical(secret.kmsKeyId()));
        return attributes;
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String value = value(scope, desired, names);
        // The token makes a retried create after a lost answer return the same secret, not fail or make another.
        var created = secrets(scope)
                .createSecret(r -> r.name(desired.text("name"))
                        .description(desired.text("description"))
                        .kmsKeyId(names.physical(desired.text("kmsKey")))
                        .secretString(value)
                        .clientRequestToken(token)
                        .tags(tagList(
                                scope,
                                desired,
                                (k, v) -> Tag.builder().key(k).value(v).build())));
        return new Created(created.arn(), Map.of("arn", created.arn(), "name", created.name()));
    }

    private String value(Scope scope, Resource desired, Names names) {
        String kind = desired.text("value");
        return switch (kind) {
            case "password" -> SecretValues.random(32);
            case "token" -> SecretValues.random(64);
            case "database-url" -> {
                String db = SecretValues.source(desired, Kind.DB_INSTANCE);
                yield "postgresql://" + SecretValues.urlPart(names.output(db, "masterUser")) + ":"
                        + SecretValues.urlPart(read(scope, names, SecretValues.source(desired, Kind.SECRET))) + "@"
                        + names.output(db, "endpoint") + ":" + names.output(db, "port") + "/"
                        + names.output(db, "dbName");
            }
            case "redis-url" -> {
                String cache = SecretValues.source(desired, Kind.CACHE_REPLICATION_GROUP);
                String scheme = "true".equals(names.output(cache, "tls")) ? "rediss" : "redis";
                yield scheme + "://:"
                        + SecretValues.urlPart(read(scope, names, SecretValues.source(desired, Kind.SECRET))) + "@"
                        + names.output(cache, "endpoint") + ":" + names.output(cache, "port");
            }
            default -> throw new IllegalArgumentException(desired.id() + ": unknown secret value '" + kind + "'");
        };
    }

    /** The value of another secret of the environment, for a URL; only ever sent on to Secrets Manager. */
    static String read(AwsClients aws, Scope scope, Names names, String secretId) {
        return aws.secretsManager(scope.region())
                .getSecretValue(r -> r.secretId(names.physical(secretId)))
                .secretString();
    }

    private String read(Scope scope, Names names, String secretId) {
        return read(aws, scope, names, secretId);
    }

    @Override
    void change(Scope scope, Resource desired, Observed actual, AttributeChange change, Names names) {
        switch (change.name()) {
            case "description" ->
                secrets(scope)
                        .updateSecret(r -> r.secretId(actual.physicalId()).description(desired.text("description")));
            case "kmsKey" ->
                secrets(scope)
                        .updateSecret(
                                r -> r.secretId(actual.physicalId()).kmsKeyId(names.physical(desired.text("kmsKey"))));
            // What the URL is built from was replaced (a new database or cache): build it again.
            case "from" -> {
                String value = value(scope, desired, names);
                secrets(scope)
                        .putSecretValue(r -> r.secretId(actual.physicalId()).secretString(value));
            }
            default -> super.change(scope, desired, actual, change, names);
        }
    }

    /** At once, with no recovery window: a window would block the name for a later apply of the same spec. */
    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        ignoringGone(() ->
                secrets(scope).deleteSecret(r -> r.secretId(actual.physicalId()).forceDeleteWithoutRecovery(true)));
    }
}
