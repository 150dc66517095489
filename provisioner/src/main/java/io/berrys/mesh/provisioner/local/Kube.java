package io.berrys.mesh.provisioner.local;

import io.berrys.mesh.provisioner.provider.Scope;
import io.berrys.mesh.provisioner.provider.Tags;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment tags on a Kubernetes object. The environment and protect tags are labels, so a list can select
 * by them; the logical id is an annotation, as a label value may not hold its '/'.
 */
final class Kube {

    static final String DESCRIPTION = "mesh.berrys.io/description";

    private Kube() {}

    static ObjectMeta meta(Scope scope, String name, String namespace, String logicalId, boolean protect) {
        ObjectMeta meta = new ObjectMeta();
        meta.setName(name);
        meta.setNamespace(namespace);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Tags.ENVIRONMENT, scope.environment());
        labels.put("app.kubernetes.io/managed-by", "berrys-deploy-mesh");
        if (protect) {
            labels.put(Tags.PROTECT, "true");
        }
        meta.setLabels(labels);
        meta.setAnnotations(new LinkedHashMap<>(Map.of(Tags.LOGICAL_ID, logicalId)));
        return meta;
    }

    /** Labels and annotations together, as {@link io.berrys.mesh.provisioner.provider.Found} reads tags. */
    static Map<String, String> tags(ObjectMeta meta) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (meta.getLabels() != null) {
            tags.putAll(meta.getLabels());
        }
        if (meta.getAnnotations() != null) {
            tags.putAll(meta.getAnnotations());
        }
        return tags;
    }

    /** No answer, throttled, or a server error: worth asking again. */
    static boolean passing(KubernetesClientException e) {
        int code = e.getCode();
        return code == 0 || code == 429 || code >= 500;
    }

    /** Runs a delete; one of something already gone succeeds. */
    static void ignoringGone(Runnable delete) {
        try {
            delete.run();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
