package io.berrys.mesh.localcluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * A simulated Kubernetes cluster for runs without a real one: fabric8's mock API server in CRUD mode, the kubelet
 * simulator, and a stand-in for the platform's pods. It applies the platform's manifests and runs until stopped.
 * Every line it prints says it is a simulation.
 *
 * <pre>
 * java -jar local-cluster-runnable.jar --api-port 6443 --platform-port 7070 \
 *     --manifests staging.yaml --manifests production.yaml           (overlays rendered by kustomize)
 * java -jar local-cluster-runnable.jar --manifests deploy/kubernetes/platform/base --namespaces staging,production
 * </pre>
 *
 * An object that names its namespace goes there; the others go to every namespace of {@code --namespaces}.
 */
public final class LocalCluster {

    /** Kinds a simulated cluster can hold without their operators; CRDs such as ServiceMonitor are skipped. */
    private static final Set<String> APPLIED_KINDS = Set.of(
            "Deployment",
            "Service",
            "ConfigMap",
            "Secret",
            "HorizontalPodAutoscaler",
            "NetworkPolicy",
            "ServiceAccount",
            "Ingress",
            "HTTPRoute");

    private LocalCluster() {}

    public static void main(String[] args) throws Exception {
        int apiPort = 0;
        int platformPort = 0;
        List<Path> manifests = new ArrayList<>();
        List<String> namespaces = List.of("staging", "production");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--api-port" -> apiPort = Integer.parseInt(args[++i]);
                case "--platform-port" -> platformPort = Integer.parseInt(args[++i]);
                case "--manifests" -> manifests.add(Path.of(args[++i]));
                case "--namespaces" -> namespaces = List.of(args[++i].split(","));
                default -> {
                    System.err.println("unknown option " + args[i]
                            + "; use --api-port N --platform-port N --manifests DIR|FILE ... --namespaces a,b");
                    System.exit(2);
                }
            }
        }
        for (Path source : manifests) {
            if (!Files.exists(source)) {
                System.err.println("--manifests " + source + ": no such file or directory");
                System.exit(2);
            }
        }
        Running cluster = start(apiPort, platformPort, manifests, namespaces);
        System.out.println("[local-cluster] SIMULATION: fabric8 mock Kubernetes API (CRUD mode, no real nodes) on "
                + cluster.apiUrl());
        System.out.println("[local-cluster] SIMULATION: kubelet simulator marks pods ready; platform pods simulated"
                + " on " + cluster.platformUrl());
        System.out.println("[local-cluster] SIMULATION: applied "
                + cluster.applied().total() + " objects: " + cluster.applied().perNamespace());
        System.out.println("api_url=" + cluster.apiUrl());
        System.out.println("platform_url=" + cluster.platformUrl());
        System.out.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            cluster.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    /** A simulated cluster running in this JVM; the system tests embed one, the demo runs {@link #main}. */
    public record Running(
            KubernetesMockServer api,
            KubernetesClient client,
            KubeletSimulator kubelet,
            PlatformStandIn platform,
            Applied applied)
            implements AutoCloseable {

        public String apiUrl() {
            return "http://127.0.0.1:" + api.getPort();
        }

        public String platformUrl() {
            return "http://127.0.0.1:" + platform.port();
        }

        @Override
        public void close() {
            kubelet.close();
            platform.close();
            client.close();
            api.destroy();
        }
    }

    /** How many objects went to each namespace. */
    public record Applied(Map<String, Integer> perNamespace) {

        public int total() {
            return perNamespace.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * Starts the mock API (port 0 picks a free one), the kubelet simulator and the stand-in platform pods, and
     * applies the manifests of {@code manifests} (may be null) to each namespace.
     */
    public static Running start(int apiPort, int platformPort, Path manifests, List<String> namespaces)
            throws IOException {
        return start(apiPort, platformPort, manifests == null ? List.of() : List.of(manifests), namespaces);
    }

    /**
     * As {@link #start(int, int, Path, List)}, for several sources: directories of manifests or rendered files
     * (kustomize's output). An object that names its namespace goes there, the others to each of {@code namespaces}.
     */
    public static Running start(int apiPort, int platformPort, List<Path> manifests, List<String> namespaces)
            throws IOException {
        KubernetesMockServer api = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getLoopbackAddress(), apiPort);
        KubernetesClient client = api.createClient();
        KubeletSimulator kubelet = new KubeletSimulator(client);
        PlatformStandIn platform = new PlatformStandIn(platformPort);
        Map<String, Integer> perNamespace = new TreeMap<>();
        for (Path source : manifests) {
            apply(client, source, namespaces, platform, perNamespace);
        }
        return new Running(api, client, kubelet, platform, new Applied(Collections.unmodifiableMap(perNamespace)));
    }

    private static void apply(
            KubernetesClient client,
            Path source,
            List<String> namespaces,
            PlatformStandIn platform,
            Map<String, Integer> perNamespace)
            throws IOException {
        for (Path file : manifestFiles(source)) {
            List<HasMetadata> items;
            try (InputStream in = Files.newInputStream(file)) {
                items = new ArrayList<>(client.load(in).items());
            }
            for (HasMetadata item : items) {
                if (!APPLIED_KINDS.contains(item.getKind())) {
                    continue;
                }
                String own = item.getMetadata().getNamespace();
                for (String namespace : own != null ? List.of(own) : namespaces) {
                    item.getMetadata().setNamespace(namespace);
                    client.resource(item).inNamespace(namespace).createOr(NonDeletingOperation::update);
                    if (item.getKind().equals("Deployment")) {
                        platform.serve(namespace, item.getMetadata().getName());
                    }
                    perNamespace.merge(namespace, 1, Integer::sum);
                }
            }
        }
    }

    /** A rendered file itself, or a directory's manifests without its kustomization. */
    private static List<Path> manifestFiles(Path source) throws IOException {
        if (!Files.isDirectory(source)) {
            return List.of(source);
        }
        try (Stream<Path> listing = Files.list(source)) {
            return listing.filter(path -> path.toString().endsWith(".yaml"))
                    .filter(path -> !path.getFileName().toString().startsWith("kustomization"))
                    .sorted()
                    .toList();
        }
    }
}
