package io.berrys.mesh.coordinator.store;

import io.berrys.mesh.coordinator.release.Release;
import io.berrys.mesh.coordinator.release.ReleaseState;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a rebuild keeps in memory between its transactions.
 *
 * <p>The releases not finished yet, by (environment, service) slot. A replay asks which releases of a slot are queued
 * or hold it after nearly every event that ends or starts a release; answering from here instead of querying the
 * tables being filled keeps a page of the log to a handful of round trips. It is exact because the rebuild is the
 * only writer of its tables and every change passes through {@link #track}. Finished releases are dropped, so its
 * size is that of the work in flight at the point of the log being replayed.
 *
 * <p>A cache of the releases it read or decided. Events of one release are spread over many pages of the log;
 * reading and writing it back at every page made a rebuild several times slower. A release leaves the cache (and is
 * written) when it finishes or is the least recently used beyond the limit.
 */
public final class ReplayState {

    private record Entry(String id, ReleaseState state, Instant createdAt) {}

    private static final Comparator<Entry> OLDEST_FIRST =
            Comparator.comparing(Entry::createdAt).thenComparing(Entry::id);

    private final Map<String, Map<String, Entry>> bySlot = new HashMap<>();
    private int size;
    /** The releases the rebuild read or decided, least recently used first (see StoreTransaction). */
    private final LinkedHashMap<String, StoreTransaction.Tracked> cache = new LinkedHashMap<>(1_024, 0.75f, true);

    private final int cacheLimit;

    /** Slots for a rebuild that keeps up to {@code cacheLimit} releases in memory between its transactions. */
    public ReplayState(int cacheLimit) {
        this.cacheLimit = cacheLimit;
    }

    Map<String, StoreTransaction.Tracked> cache() {
        return cache;
    }

    int cacheLimit() {
        return cacheLimit;
    }

    /** Records where the release is now. */
    public void track(Release release) {
        String slot = slot(release.request().environment(), release.request().service());
        Map<String, Entry> releases = bySlot.computeIfAbsent(slot, ignored -> new HashMap<>());
        Entry before;
        if (release.state().isTerminal()) {
            before = releases.remove(release.id());
            if (releases.isEmpty()) {
                bySlot.remove(slot);
            }
            if (before != null) {
                size--;
            }
            return;
        }
        before = releases.put(release.id(), new Entry(release.id(), release.state(), release.createdAt()));
        if (before == null) {
            size++;
        }
    }

    /** The ids of the slot's queued releases, oldest first. */
    public List<String> queued(String environment, String service) {
        return entries(environment, service).stream()
                .filter(entry -> entry.state() == ReleaseState.QUEUED)
                .sorted(OLDEST_FIRST)
                .map(Entry::id)
                .toList();
    }

    /** The oldest queued release of the slot, unless a release of the slot holds it. */
    public Optional<String> nextAdmissible(String environment, String service) {
        List<Entry> entries = List.copyOf(entries(environment, service));
        if (entries.stream().anyMatch(entry -> entry.state().isActive())) {
            return Optional.empty();
        }
        return entries.stream()
                .filter(entry -> entry.state() == ReleaseState.QUEUED)
                .min(OLDEST_FIRST)
                .map(Entry::id);
    }

    /** Releases not finished yet. */
    public int size() {
        return size;
    }

    private Collection<Entry> entries(String environment, String service) {
        return bySlot.getOrDefault(slot(environment, service), Map.of()).values();
    }

    private static String slot(String environment, String service) {
        return environment + "/" + service;
    }
}
