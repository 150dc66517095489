package io.berrys.mesh.system;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * Counts what releases did outside the mesh, from the systems they did it to: backups in S3 (every version of
 * every manifest, in a versioned bucket), migrations in the platform databases (a row per applied script), and
 * traffic changes on the HTTPRoutes (a watch on the API server). A side effect done twice shows up here, whatever
 * the mesh believes.
 */
final class SideEffects implements AutoCloseable {

    /** One observed state of a route: which backend gets which weight, and when the watch saw it. */
    record RouteState(long atMillis, String namespace, String name, Map<String, Integer> weights) {}

    private final List<RouteState> routeStates = new CopyOnWriteArrayList<>();
    private volatile WatcherException watchDied;
    private final Watch watch;
    private final S3Client s3;
    private final String bucket;

    SideEffects(KubernetesClient cluster, S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
        this.watch = cluster.resources(HTTPRoute.class).inAnyNamespace().watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, HTTPRoute route) {
                if (action == Action.ADDED || action == Action.MODIFIED) {
                    routeStates.add(new RouteState(
                            System.currentTimeMillis(),
                            route.getMetadata().getNamespace(),
                            route.getMetadata().getName(),
                            weights(route)));
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // A watch that died sees no more changes: every count after it would read "no duplicates".
                watchDied = cause;
            }
        });
    }

    private static Map<String, Integer> weights(HTTPRoute route) {
        Map<String, Integer> weights = new TreeMap<>();
        if (route.getSpec() != null
                && route.getSpec().getRules() != null
                && !route.getSpec().getRules().isEmpty()) {
            for (HTTPBackendRef ref : route.getSpec().getRules().get(0).getBackendRefs()) {
                weights.put(ref.getName(), ref.getWeight() == null ? 1 : ref.getWeight());
            }
        }
        return weights;
    }

    /**
     * Traffic changes of one release done more than once: within its window, every split of traffic between the
     * old and the new version is set once. A step applied again after a crash shows as a split seen before (a
     * write that changes nothing is not a change). A release expected to stop before any traffic moved counts
     * every change it made.
     */
    int repeatedTrafficChanges(CoordinatorApi.Outcome release, boolean trafficExpected) {
        List<Map<String, Integer>> splits = trafficSplits(release);
        int repeated = 0;
        for (int i = 0; i < splits.size(); i++) {
            if (!trafficExpected || splits.subList(0, i).contains(splits.get(i))) {
                repeated++;
            }
        }
        return repeated;
    }

    /** Why the route watch stopped, if it did: the traffic counts after it mean nothing. */
    Optional<String> watchFailure() {
        WatcherException died = watchDied;
        return died == null ? Optional.empty() : Optional.of("the HTTPRoute watch died: " + died.getMessage());
    }

    /** How many traffic splits the release's route went through within its window. */
    int trafficChanges(CoordinatorApi.Outcome release) {
        return trafficSplits(release).size();
    }

    /** The splits the release's route went through within its window, each change once (a rewrite is no change). */
    private List<Map<String, Integer>> trafficSplits(CoordinatorApi.Outcome release) {
        List<Map<String, Integer>> splits = new ArrayList<>();
        for (RouteState state : routeStates) {
            if (state.namespace().equals(release.request().environment())
                    && state.name().equals(release.request().service())
                    && state.atMillis() >= release.publishedAtMillis()
                    && state.atMillis() <= release.endedAtMillis() + 1_000
                    && (splits.isEmpty() || !splits.get(splits.size() - 1).equals(state.weights()))) {
                splits.add(state.weights());
            }
        }
        return splits;
    }

    boolean routeChangedSince(String namespace, String name, long sinceMillis) {
        return routeStates.stream()
                .anyMatch(state -> state.namespace().equals(namespace)
                        && state.name().equals(name)
                        && state.atMillis() >= sinceMillis);
    }

    /** How many backups the release took: manifests under its command's key, every version counted. */
    int backups(String releaseId) {
        Map<String, Integer> versions = new HashMap<>();
        try {
            String keyMarker = null;
            String versionMarker = null;
            do {
                ListObjectVersionsResponse page = s3.listObjectVersions(ListObjectVersionsRequest.builder()
                        .bucket(bucket)
                        .prefix("backups/")
                        .keyMarker(keyMarker)
                        .versionIdMarker(versionMarker)
                        .build());
                for (ObjectVersion version : page.versions()) {
                    if (version.key().contains("/" + releaseId + ".")
                            && version.key().endsWith(".manifest.json")) {
                        versions.merge(version.key(), 1, Integer::sum);
                    }
                }
                keyMarker = page.isTruncated() ? page.nextKeyMarker() : null;
                versionMarker = page.isTruncated() ? page.nextVersionIdMarker() : null;
            } while (keyMarker != null);
        } catch (NoSuchBucketException e) {
            return 0;
        }
        return versions.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** How many times the script of {@code version} ran in the platform database (its row in the effects table). */
    static int migrationsApplied(Connection database, String version) throws SQLException {
        try (Statement statement = database.createStatement()) {
            try (ResultSet exists = statement.executeQuery("select to_regclass('public.mesh_system_effects')")) {
                exists.next();
                if (exists.getString(1) == null) {
                    return 0;
                }
            }
        }
        try (PreparedStatement count =
                database.prepareStatement("select count(*) from mesh_system_effects where release_version = ?")) {
            count.setString(1, version);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    @Override
    public void close() {
        watch.close();
    }
}
