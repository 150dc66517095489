package io.berrys.mesh.rollout.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/** The Kubernetes reads and writes of a rollout. Every write is safe to repeat. */
@ApplicationScoped
public class Cluster {

    private static final Set<String> POD_FAILURE_REASONS = Set.of(
            "ImagePullBackOff",
            "ErrImagePull",
            "InvalidImageName",
            "CrashLoopBackOff",
            "CreateContainerConfigError",
            "CreateContainerError",
            "RunContainerError");

    private final KubernetesClient client;

    public Cluster(KubernetesClient client) {
        this.client = client;
    }

    public KubernetesClient client() {
        return client;
    }

    public List<Deployment> deploymentsOf(String namespace, String service) {
        return client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabel(Marks.APP, service)
                .list()
                .getItems();
    }

    /** Deployments in any namespace the rollout-service manages: new versions and retired previous ones. */
    public List<Deployment> managedDeployments() {
        return client.apps()
                .deployments()
                .inAnyNamespace()
                .withLabel(Marks.MANAGED, Marks.SERVICE_NAME)
                .list()
                .getItems();
    }

    public Optional<Deployment> deployment(String namespace, String name) {
        return Optional.ofNullable(client.apps()
                .deployments()
                .inNamespace(namespace)
                .withName(name)
                .get());
    }

    public Optional<Service> service(String namespace, String name) {
        return Optional.ofNullable(
                client.services().inNamespace(namespace).withName(name).get());
    }

    public Deployment create(Deployment deployment) {
        return client.resource(deployment).create();
    }

    public Deployment editDeployment(String namespace, String name, UnaryOperator<Deployment> change) {
        return onConflictAgain(() -> client.apps()
                .deployments()
                .inNamespace(namespace)
                .withName(name)
                .edit(change));
    }

    private static final int CONFLICT_ATTEMPTS = 10;

    /**
     * Runs an edit again when another writer changed the object between its read and its write (HTTP 409): a
     * rollout and a rollback, or two rollbacks, may edit the same object at once. Every edit here is a function
     * of the object as read, so running it again on the newer version is what makes it safe.
     */
    public static <T> T onConflictAgain(java.util.function.Supplier<T> edit) {
        for (int attempt = 1; ; attempt++) {
            try {
                return edit.get();
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    public void annotate(String namespace, String name, Map<String, String> annotations) {
        editDeployment(namespace, name, deployment -> {
            putAnnotations(deployment, annotations);
            return deployment;
        });
    }

    /** Adds annotations to an object being edited, keeping the others; the object's map may be absent or fixed. */
    public static void putAnnotations(HasMetadata object, Map<String, String> annotations) {
        Map<String, String> merged = new HashMap<>(
                Optional.ofNullable(object.getMetadata().getAnnotations()).orElse(Map.of()));
        merged.putAll(annotations);
        object.getMetadata().setAnnotations(merged);
    }

    public static void putLabels(HasMetadata object, Map<String, String> labels) {
        Map<String, String> merged = new HashMap<>(
                Optional.ofNullable(object.getMetadata().getLabels()).orElse(Map.of()));
        merged.putAll(labels);
        object.getMetadata().setLabels(merged);
    }

    public void scale(String namespace, String name, int replicas) {
        editDeployment(namespace, name, deployment -> {
            deployment.getSpec().setReplicas(replicas);
            return deployment;
        });
    }

    public void deleteDeployment(String namespace, String name) {
        client.apps().deployments().inNamespace(namespace).withName(name).delete();
    }

    public void deleteService(String namespace, String name) {
        client.services().inNamespace(namespace).withName(name).delete();
    }

    /** The Service selecting one colour of a service, with the stable Service's ports; created or corrected. */
    public void ensureColourService(String namespace, String name, String service, String colour, Service stable) {
        Map<String, String> selector = Map.of(Marks.APP, service, Marks.COLOUR, colour);
        Service existing =
                client.services().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            if (!selector.equals(existing.getSpec().getSelector())) {
                onConflictAgain(() -> client.services()
                        .inNamespace(namespace)
                        .withName(name)
                        .edit(current -> {
                            current.getSpec().setSelector(selector);
                            return current;
                        }));
            }
            return;
        }
        List<ServicePort> ports = new ArrayList<>();
        stable.getSpec()
                .getPorts()
                .forEach(port -> ports.add(new io.fabric8.kubernetes.api.model.ServicePortBuilder(port)
                        .withNodePort(null)
                        .build()));
        client.resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(namespace)
                        .addToLabels(Marks.APP, service)
                        .addToLabels(Marks.MANAGED, Marks.SERVICE_NAME)
                        .endMetadata()
                        .withNewSpec()
                        .withSelector(selector)
                        .withPorts(ports)
                        .endSpec()
                        .build())
                .create();
    }

    /** Points the stable Service at one colour; does nothing when it already is. One API call. */
    public void pinStableService(String namespace, String service, String colour) {
        Service stable =
                client.services().inNamespace(namespace).withName(service).get();
        if (stable == null || colour.equals(stableColour(stable))) {
            return;
        }
        onConflictAgain(() -> client.services()
                .inNamespace(namespace)
                .withName(service)
                .edit(current -> {
                    Map<String, String> selector = new HashMap<>(
                            Optional.ofNullable(current.getSpec().getSelector()).orElse(Map.of()));
                    selector.put(Marks.COLOUR, colour);
                    current.getSpec().setSelector(selector);
                    return current;
                }));
    }

    public static String stableColour(Service stable) {
        Map<String, String> selector = stable.getSpec().getSelector();
        return selector == null ? null : selector.get(Marks.COLOUR);
    }

    public List<Pod> podsOf(Deployment deployment) {
        Map<String, String> selector = deployment.getSpec().getSelector().getMatchLabels();
        return client.pods()
                .inNamespace(deployment.getMetadata().getNamespace())
                .withLabels(selector)
                .list()
                .getItems();
    }

    /** Why pods are not running, in the words an on-call engineer searches for (ImagePullBackOff, Unschedulable). */
    public List<String> podProblems(Deployment deployment) {
        List<Pod> pods = podsOf(deployment);
        if (pods.isEmpty()) {
            return List.of("no pods were created (check quotas, admission webhooks and events of "
                    + deployment.getMetadata().getName() + ")");
        }
        List<String> problems = new ArrayList<>();
        for (Pod pod : pods) {
            String name = pod.getMetadata().getName();
            if (pod.getStatus() == null) {
                problems.add(name + ": no status yet");
                continue;
            }
            for (PodCondition condition :
                    Optional.ofNullable(pod.getStatus().getConditions()).orElse(List.of())) {
                if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())) {
                    problems.add(name + ": "
                            + Optional.ofNullable(condition.getReason()).orElse("Unschedulable")
                            + detail(condition.getMessage()));
                }
            }
            for (ContainerStatus container :
                    Optional.ofNullable(pod.getStatus().getContainerStatuses()).orElse(List.of())) {
                if (container.getState() != null && container.getState().getWaiting() != null) {
                    String reason = container.getState().getWaiting().getReason();
                    if (reason != null && POD_FAILURE_REASONS.contains(reason)) {
                        problems.add(name + ": container " + container.getName() + " " + reason
                                + detail(container.getState().getWaiting().getMessage()));
                    }
                }
            }
            if (problems.stream().noneMatch(problem -> problem.startsWith(name + ":")) && !isReady(pod)) {
                problems.add(name + ": not ready (readiness probe failing)");
            }
        }
        return problems;
    }

    public static boolean isReady(Pod pod) {
        return pod.getStatus() != null
                && Optional.ofNullable(pod.getStatus().getConditions()).orElse(List.of()).stream()
                        .anyMatch(condition ->
                                "Ready".equals(condition.getType()) && "True".equals(condition.getStatus()));
    }

    public static int restarts(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        return pod.getStatus().getContainerStatuses().stream()
                .mapToInt(
                        status -> Optional.ofNullable(status.getRestartCount()).orElse(0))
                .sum();
    }

    private static String detail(String message) {
        return message == null || message.isBlank() ? "" : " (" + message + ")";
    }
}
