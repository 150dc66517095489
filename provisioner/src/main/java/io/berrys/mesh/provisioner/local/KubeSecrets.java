package io.berrys.mesh.provisioner.local;

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
import io.berrys.mesh.provisioner.provider.SecretValues;
import io.berrys.mesh.provisioner.provider.Tags;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes Secrets in the environment's namespace, as the platform's pods read them: a generated password under
 * {@code password}, or a URL under {@code url} built from the local PostgreSQL database and role, or the local
 * Redis. Values are made here and go only into the Secret; none is logged or put in a progress line. The physical
 * id is {@code namespace/name}.
 */
final class KubeSecrets implements ResourceHandler {

    private final KubernetesClient kube;
    private final Postgres postgres;
    private final String redisUrl;

    KubeSecrets(KubernetesClient kube, Postgres postgres, String redisUrl) {
        this.kube = kube;
        this.postgres = postgres;
        this.redisUrl = redisUrl;
    }

    @Override
    public Kind kind() {
        return Kind.SECRET;
    }

    @Override
    public List<Found> find(Scope scope) {
        return kube
                .secrets()
                .inAnyNamespace()
                .withLabel(Tags.ENVIRONMENT, scope.environment())
                .list()
                .getItems()
                .stream()
                .flatMap(secret -> Found.of(
                        scope,
                        Kube.tags(secret.getMetadata()),
                        physicalId(secret),
                        secret,
                        Map.of("name", secret.getMetadata().getName()))
                        .stream())
                .toList();
    }

    private static String physicalId(Secret secret) {
        return secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        Secret secret = (Secret) found.raw();
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name", secret.getMetadata().getName());
        attributes.put("namespace", names.logical(secret.getMetadata().getNamespace()));
        attributes.put("description", Kube.tags(secret.getMetadata()).getOrDefault(Kube.DESCRIPTION, ""));
        return attributes;
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String namespace = names.physical(desired.text("namespace"));
        String name = desired.text("name");
        var meta = Kube.meta(scope, name, namespace, desired.id(), desired.protect());
        meta.getAnnotations().put(Kube.DESCRIPTION, desired.text("description"));
        Secret secret = new SecretBuilder()
                .withMetadata(meta)
                .withType("Opaque")
                .withStringData(value(desired, names))
                .build();
        try {
            kube.secrets().inNamespace(namespace).resource(secret).create();
        } catch (KubernetesClientException e) {
            // Created before an answer was lost: the same create again finds it, and it is ours only if tagged so.
            Secret existing = e.getCode() == 409
                    ? kube.secrets().inNamespace(namespace).withName(name).get()
                    : null;
            if (existing == null
                    || !desired.id().equals(Kube.tags(existing.getMetadata()).get(Tags.LOGICAL_ID))
                    || !scope.environment()
                            .equals(Kube.tags(existing.getMetadata()).get(Tags.ENVIRONMENT))) {
                throw e.getCode() == 409
                        ? new IllegalStateException("secret " + namespace + "/" + name
                                + " exists and is not this environment's " + desired.id() + "; delete it or rename it")
                        : e;
            }
        }
        return new Created(namespace + "/" + name, Map.of("name", name));
    }

    private Map<String, String> value(Resource desired, Names names) {
        String kind = desired.text("value");
        return switch (kind) {
            case "password" -> Map.of("password", SecretValues.random(32));
            case "database-url" -> {
                String database = SecretValues.source(desired, Kind.PG_DATABASE);
                String role = SecretValues.source(desired, Kind.PG_ROLE);
                String password = read(names.physical(SecretValues.source(desired, Kind.SECRET)), "password");
                yield Map.of(
                        "url",
                        "postgresql://" + SecretValues.urlPart(names.output(role, "name")) + ":"
                                + SecretValues.urlPart(password) + "@" + postgres.host() + ":" + postgres.port() + "/"
                                + names.output(database, "name"));
            }
            case "redis-url" -> Map.of("url", redisUrl);
            default -> throw new IllegalArgumentException(desired.id() + ": unknown secret value '" + kind + "'");
        };
    }

    /** One key of a Secret of the environment: only ever passed on to a role or another Secret. */
    String read(String physicalId, String key) {
        Secret secret = secret(physicalId).get();
        if (secret == null) {
            throw new IllegalStateException("secret " + physicalId + " does not exist");
        }
        if (secret.getData() != null && secret.getData().containsKey(key)) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
            return secret.getStringData().get(key);
        }
        throw new IllegalStateException("secret " + physicalId + " has no key '" + key + "'");
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        var secret = secret(actual.physicalId());
        for (AttributeChange change : changes) {
            switch (change.name()) {
                case "description" ->
                    secret.edit(s -> {
                        s.getMetadata().getAnnotations().put(Kube.DESCRIPTION, desired.text("description"));
                        return s;
                    });
                // What the URL is built from was replaced (a new database or role): build it again.
                case "from" -> {
                    Map<String, String> value = value(desired, names);
                    secret.edit(s -> {
                        s.setData(null);
                        s.setStringData(value);
                        return s;
                    });
                }
                default -> throw new IllegalStateException("a secret cannot change " + change.name() + " in place");
            }
        }
    }

    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        Kube.ignoringGone(() -> secret(actual.physicalId()).delete());
    }

    /** The Secret of a physical id, {@code namespace/name}. */
    private io.fabric8.kubernetes.client.dsl.Resource<Secret> secret(String physicalId) {
        int slash = physicalId.indexOf('/');
        return kube.secrets().inNamespace(physicalId.substring(0, slash)).withName(physicalId.substring(slash + 1));
    }
}
