package io.berrys.mesh.localcluster;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A simulation: plays the kubelet and the Deployment controller for the mock API server, which runs no
 * controllers. Keeps one pod per replica of every Deployment and reports their state in pod and Deployment
 * status. What a pod does depends on its image tag: {@code :crashloop}, {@code :badpull}, {@code :unschedulable} and {@code :restarts} (ready, but
 * restarting at every look); anything else becomes ready.
 */
public final class KubeletSimulator implements AutoCloseable {

    private final KubernetesClient client;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "kubelet-simulator");
        thread.setDaemon(true);
        return thread;
    });

    public KubeletSimulator(KubernetesClient client) {
        this.client = client;
        ticker.scheduleWithFixedDelay(this::reconcileQuietly, 0, 20, TimeUnit.MILLISECONDS);
    }

    private void reconcileQuietly() {
        try {
            for (Deployment deployment :
                    client.apps().deployments().inAnyNamespace().list().getItems()) {
                reconcile(deployment);
            }
        } catch (RuntimeException e) {
            // A Deployment deleted between list and update; the next tick sees the new state.
        }
    }

    private void reconcile(Deployment deployment) {
        String namespace = deployment.getMetadata().getNamespace();
        String name = deployment.getMetadata().getName();
        Map<String, String> labels =
                deployment.getSpec().getTemplate().getMetadata().getLabels();
        int wanted = Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(1);
        String image = deployment
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage();
        String container = deployment
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getName();

        List<Pod> pods = new ArrayList<>(client.pods()
                .inNamespace(namespace)
                .withLabels(deployment.getSpec().getSelector().getMatchLabels())
                .list()
                .getItems());
        pods.removeIf(pod -> !pod.getMetadata().getName().startsWith(name + "-"));
        for (Pod pod : pods) {
            String podImage = pod.getSpec().getContainers().get(0).getImage();
            if (!podImage.equals(image)) {
                client.resource(pod).delete();
            }
        }
        pods.removeIf(pod -> !pod.getSpec().getContainers().get(0).getImage().equals(image));
        while (pods.size() > wanted) {
            client.resource(pods.remove(pods.size() - 1)).delete();
        }
        for (int i = 0; i < wanted; i++) {
            String podName = name + "-" + Integer.toHexString(image.hashCode() & 0xfffff) + "-" + i;
            if (pods.stream().noneMatch(pod -> pod.getMetadata().getName().equals(podName))) {
                Pod created = client.resource(new PodBuilder()
                                .withNewMetadata()
                                .withName(podName)
                                .withNamespace(namespace)
                                .withLabels(labels)
                                .endMetadata()
                                .withNewSpec()
                                .addNewContainer()
                                .withName(container)
                                .withImage(image)
                                .endContainer()
                                .endSpec()
                                .build())
                        .create();
                pods.add(created);
            }
        }
        int ready = 0;
        for (Pod pod : pods) {
            PodStatus status = statusFor(image, container, pod);
            if (!status.equals(pod.getStatus())) {
                pod.setStatus(status);
                client.pods().inNamespace(namespace).resource(pod).updateStatus();
            }
            if (status.getConditions().stream()
                    .anyMatch(
                            condition -> "Ready".equals(condition.getType()) && "True".equals(condition.getStatus()))) {
                ready++;
            }
        }
        int readyNow = ready;
        if (deployment.getStatus() == null
                || !Integer.valueOf(readyNow).equals(deployment.getStatus().getAvailableReplicas())
                || !Integer.valueOf(wanted).equals(deployment.getStatus().getReplicas())) {
            deployment.setStatus(new DeploymentStatusBuilder()
                    .withReplicas(wanted)
                    .withUpdatedReplicas(wanted)
                    .withReadyReplicas(readyNow)
                    .withAvailableReplicas(readyNow)
                    .withObservedGeneration(deployment.getMetadata().getGeneration())
                    .build());
            client.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .resource(deployment)
                    .updateStatus();
        }
    }

    private PodStatus statusFor(String image, String container, Pod pod) {
        String tag = image.substring(image.lastIndexOf(':') + 1);
        int previousRestarts = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                ? 0
                : pod.getStatus().getContainerStatuses().get(0).getRestartCount();
        return switch (tag) {
            case "badpull" -> pending(container, image, "ImagePullBackOff", "Back-off pulling image \"" + image + "\"");
            case "crashloop" ->
                pending(container, image, "CrashLoopBackOff", "back-off 40s restarting failed container=" + container);
            case "unschedulable" ->
                new PodStatusBuilder()
                        .withPhase("Pending")
                        .withConditions(
                                condition(
                                        "PodScheduled",
                                        "False",
                                        "Unschedulable",
                                        "0/3 nodes are available: 3 Insufficient cpu."),
                                condition("Ready", "False", null, null))
                        .build();
            case "restarts" -> running(container, image, previousRestarts + 1);
            default -> running(container, image, previousRestarts);
        };
    }

    private static PodStatus running(String container, String image, int restarts) {
        return new PodStatusBuilder()
                .withPhase("Running")
                .withConditions(condition("PodScheduled", "True", null, null), condition("Ready", "True", null, null))
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName(container)
                        .withImage(image)
                        .withReady(true)
                        .withRestartCount(restarts)
                        .withNewState()
                        .withNewRunning()
                        .endRunning()
                        .endState()
                        .build())
                .build();
    }

    private static PodStatus pending(String container, String image, String reason, String message) {
        ContainerStatus waiting = new ContainerStatusBuilder()
                .withName(container)
                .withImage(image)
                .withReady(false)
                .withRestartCount(0)
                .withNewState()
                .withNewWaiting()
                .withReason(reason)
                .withMessage(message)
                .endWaiting()
                .endState()
                .build();
        return new PodStatusBuilder()
                .withPhase("Pending")
                .withConditions(condition("PodScheduled", "True", null, null), condition("Ready", "False", null, null))
                .withContainerStatuses(waiting)
                .build();
    }

    private static PodCondition condition(String type, String status, String reason, String message) {
        return new PodConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .build();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
