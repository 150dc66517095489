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
import io.berrys.mesh.provisioner.provider.Tags;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The environment's namespace in the cluster, where its workloads and secrets live. */
final class Namespaces implements ResourceHandler {

    private static final Duration DELETE_TIMEOUT = Duration.ofMinutes(5);
    /** On a namespace that existed before the environment took it over. */
    static final String ADOPTED = "mesh.berrys.io/adopted";

    private final KubernetesClient kube;

    Namespaces(KubernetesClient kube) {
        this.kube = kube;
    }

    @Override
    public Kind kind() {
        return Kind.NAMESPACE;
    }

    @Override
    public List<Found> find(Scope scope) {
        return kube.namespaces().withLabel(Tags.ENVIRONMENT, scope.environment()).list().getItems().stream()
                .filter(ns -> ns.getStatus() == null
                        || !"Terminating".equals(ns.getStatus().getPhase()))
                .flatMap(ns -> Found.of(
                        scope,
                        Kube.tags(ns.getMetadata()),
                        ns.getMetadata().getName(),
                        ns,
                        Map.of("name", ns.getMetadata().getName()))
                        .stream())
                .toList();
    }

    @Override
    public Map<String, Object> attributes(Found found, Names names) {
        return Map.of("name", ((Namespace) found.raw()).getMetadata().getName());
    }

    /**
     * A namespace of that name made by hand, or by the workloads' manifests before the environment was provisioned,
     * is taken over rather than refused, and marked so: a destroy gives it back (takes its labels off) instead of
     * deleting it with whatever it holds. One that belongs to another environment is refused.
     */
    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        String name = desired.text("name");
        Namespace wanted = new NamespaceBuilder()
                .withMetadata(Kube.meta(scope, name, null, desired.id(), desired.protect()))
                .build();
        try {
            kube.namespaces().resource(wanted).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Namespace existing = kube.namespaces().withName(name).get();
            String owner =
                    existing == null ? null : Kube.tags(existing.getMetadata()).get(Tags.ENVIRONMENT);
            if (owner != null && !owner.equals(scope.environment())) {
                throw new IllegalStateException(
                        "namespace " + name + " belongs to environment " + owner + "; choose another name");
            }
            progress.report("namespace " + name + " exists already: labelling it as " + desired.id());
            kube.namespaces().withName(name).edit(ns -> {
                Map<String, String> labels = new java.util.LinkedHashMap<>(
                        ns.getMetadata().getLabels() == null
                                ? Map.of()
                                : ns.getMetadata().getLabels());
                labels.putAll(wanted.getMetadata().getLabels());
                Map<String, String> annotations = new java.util.LinkedHashMap<>(
                        ns.getMetadata().getAnnotations() == null
                                ? Map.of()
                                : ns.getMetadata().getAnnotations());
                annotations.putAll(wanted.getMetadata().getAnnotations());
                annotations.put(ADOPTED, "true");
                ns.getMetadata().setLabels(labels);
                ns.getMetadata().setAnnotations(annotations);
                return ns;
            });
        }
        return new Created(name, Map.of("name", name));
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        throw new IllegalStateException("a namespace changes only by a replace");
    }

    /** Waits while the cluster deletes what the namespace holds (it stays Terminating until then). */
    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        Namespace current = kube.namespaces().withName(actual.physicalId()).get();
        if (current != null && "true".equals(Kube.tags(current.getMetadata()).get(ADOPTED))) {
            progress.report("namespace " + actual.physicalId() + " existed before this environment: left in place,"
                    + " without the environment's labels");
            kube.namespaces().withName(actual.physicalId()).edit(ns -> {
                ns.getMetadata().getLabels().remove(Tags.ENVIRONMENT);
                ns.getMetadata().getLabels().remove(Tags.PROTECT);
                ns.getMetadata().getLabels().remove("app.kubernetes.io/managed-by");
                ns.getMetadata().getAnnotations().remove(Tags.LOGICAL_ID);
                ns.getMetadata().getAnnotations().remove(ADOPTED);
                return ns;
            });
            return;
        }
        Kube.ignoringGone(() -> kube.namespaces().withName(actual.physicalId()).delete());
        long deadline = System.nanoTime() + DELETE_TIMEOUT.toNanos();
        long started = System.nanoTime();
        long reported = -1;
        while (kube.namespaces().withName(actual.physicalId()).get() != null) {
            long waited = Duration.ofNanos(System.nanoTime() - started).toSeconds();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("namespace " + actual.physicalId() + " is still terminating after "
                        + waited + " s (timeout " + DELETE_TIMEOUT.toSeconds() + " s)");
            }
            if (waited / 10 != reported) {
                reported = waited / 10;
                progress.report("waiting for namespace " + actual.physicalId() + " to terminate, " + waited + " s");
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while namespace " + actual.physicalId() + " terminates");
            }
        }
    }
}
