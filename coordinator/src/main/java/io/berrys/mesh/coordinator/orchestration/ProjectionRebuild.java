package io.berrys.mesh.coordinator.orchestration;

import io.berrys.mesh.coordinator.pipeline.CoordinatorConfig;
import io.berrys.mesh.coordinator.store.EventLogEntry;
import io.berrys.mesh.coordinator.store.ProjectionTables;
import io.berrys.mesh.coordinator.store.RebuildJob;
import io.berrys.mesh.coordinator.store.RebuildJobStore;
import io.berrys.mesh.coordinator.store.RebuildTables;
import io.berrys.mesh.coordinator.store.ReplayState;
import io.berrys.mesh.coordinator.store.StoreTransaction;
import io.berrys.mesh.coordinator.store.Transactions;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Rebuilds the projections (releases and stages) from the event log while the coordinator keeps working. The log
 * is replayed in pages, each in a transaction of its own, into shadow tables; live processing meanwhile writes the
 * live tables as usual. Once the replay has caught up, one short transaction stops the live writers, replays the
 * entries that arrived meanwhile, checks that every entry of the log was replayed, and puts the shadow tables in
 * the live ones' place. Memory stays bounded by a page and the releases not finished at the point replayed; the
 * stack by {@link InOrder}.
 */
@ApplicationScoped
public class ProjectionRebuild {

    private static final Logger LOG = Logger.getLogger(ProjectionRebuild.class);
    /** How often a running rebuild writes its progress. */
    private static final long REPORT_EVERY_NANOS = 500_000_000L;
    /** Sequence numbers read at a time when looking for entries committed behind the replay. */
    private static final int SEQ_CHUNK = 20_000;

    private final Orchestrator orchestrator;
    private final Transactions transactions;
    private final RebuildJobStore jobs;
    private final CoordinatorConfig.RebuildConfig config;

    public ProjectionRebuild(
            Orchestrator orchestrator, Transactions transactions, RebuildJobStore jobs, CoordinatorConfig config) {
        this.orchestrator = orchestrator;
        this.transactions = transactions;
        this.jobs = jobs;
        this.config = config.rebuild();
    }

    /**
     * Starts a rebuild and answers once it is recorded; it then runs on its own event loop. Fails with
     * {@link RebuildJobStore.AlreadyRunning} when one runs already.
     */
    public Uni<RebuildJob> start(String requestedBy) {
        String id = "rebuild-" + UUID.randomUUID().toString().substring(0, 8);
        return transactions
                .inTransaction(RebuildTables::countLog)
                .chain(total -> jobs.start(id, requestedBy, total, config.staleAfter()))
                .invoke(job -> {
                    LOG.infof(
                            "Rebuild %s of the projections requested by %s: %d events in the log",
                            id, requestedBy, job.eventsTotal());
                    new Run(job).start();
                });
    }

    /** One rebuild, from the shadow tables to the swap. */
    private final class Run {
        private final RebuildJob job;
        private final ProjectionTables shadow;
        private final Context home = transactions.newEventLoopContext();
        private final ReplayState slots = new ReplayState(config.cacheSize());
        private final long startedNanos = System.nanoTime();
        private long lastSeq;
        private long replayed;
        /** Which entries of the log were replayed, by sequence number: 1,000,000 entries take 125 KB. */
        private final BitSet replayedSeqs = new BitSet();

        private Long longestPauseMs;
        private long reportedNanos;
        private long releases;

        Run(RebuildJob job) {
            this.job = job;
            this.shadow = ProjectionTables.shadowOf(job.id());
        }

        void start() {
            resetHeapPeaks();
            inShadow(store -> RebuildTables.create(store, shadow))
                    .chain(() -> Multi.createBy()
                            .repeating()
                            .uni(this::caughtUpAndSwapped)
                            .whilst(swapped -> !swapped)
                            .select()
                            .first(config.swapAttempts())
                            .collect()
                            .last())
                    .subscribe()
                    .with(this::finished, this::failed);
        }

        /**
         * Replays up to the settled end of the log, then to its end, then tries the swap: true once swapped. The
         * last pass leaves the swap only what arrives while it runs.
         */
        private Uni<Boolean> caughtUpAndSwapped() {
            return replayPages(() -> Instant.now().minus(config.settle()))
                    .chain(() -> replayPages(() -> null))
                    .chain(() -> inShadow(store -> replayLate(store).chain(store::flushEverything)))
                    .chain(this::swap);
        }

        /** Pages, each in a transaction of its own, until one comes back short. */
        private Uni<Void> replayPages(Supplier<Instant> recordedBefore) {
            return Multi.createBy()
                    .repeating()
                    .uni(() -> inShadow(store -> replayPage(store, recordedBefore.get())))
                    .whilst(count -> count == config.pageSize())
                    .collect()
                    .last()
                    .replaceWithVoid();
        }

        /**
         * One page of the log into the shadow tables; answers how many entries it held. With {@code recordedBefore},
         * the page ends before the first entry recorded after it.
         */
        private Uni<Integer> replayPage(StoreTransaction store, Instant recordedBefore) {
            return store.logPage(lastSeq, config.pageSize()).chain(read -> {
                List<EventLogEntry> page = recordedBefore == null ? read : settled(read, recordedBefore);
                if (page.isEmpty()) {
                    return Uni.createFrom().item(0);
                }
                return orchestrator.replay(store, page).map(ignored -> {
                    replayed(page);
                    // A page cut short by the settle time is the end of what can be replayed now.
                    return page.size() == read.size() ? page.size() : 0;
                });
            });
        }

        /**
         * Entries of the log up to the last one replayed that were committed after a page had passed their place
         * (a live transaction takes its sequence number before it commits), replayed now in their order. A
         * release's events are written under its row's lock, so none of its later events can have been replayed
         * before such an entry: the release still sees its events in order.
         */
        private Uni<Void> replayLate(StoreTransaction store) {
            return store.countLogUpTo(lastSeq).chain(logged -> {
                if (logged == replayed) {
                    return Uni.createFrom().voidItem();
                }
                List<Long> missing = new ArrayList<>();
                long[] after = {0};
                return Multi.createBy()
                        .repeating()
                        .uni(() -> store.logSeqs(after[0], lastSeq, SEQ_CHUNK).invoke(seqs -> {
                            for (long seq : seqs) {
                                if (!replayedSeqs.get(index(seq))) {
                                    missing.add(seq);
                                }
                            }
                            if (!seqs.isEmpty()) {
                                after[0] = seqs.get(seqs.size() - 1);
                            }
                        }))
                        .whilst(seqs -> seqs.size() == SEQ_CHUNK)
                        .collect()
                        .last()
                        .chain(ignored -> missing.isEmpty()
                                ? Uni.createFrom().voidItem()
                                : store.logEntries(missing).chain(late -> {
                                    LOG.infof(
                                            "Rebuild %s: %d entries were committed behind the replay; replaying them",
                                            job.id(), late.size());
                                    return orchestrator.replay(store, late).invoke(() -> late.forEach(this::mark));
                                }))
                        .invoke(() -> {
                            if (replayed != logged) {
                                throw new IllegalStateException("the log holds " + logged + " entries up to " + lastSeq
                                        + " but " + replayed + " were replayed; nothing was swapped");
                            }
                        });
            });
        }

        private void replayed(List<EventLogEntry> page) {
            page.forEach(this::mark);
            lastSeq = Math.max(lastSeq, page.get(page.size() - 1).seq());
            long now = System.nanoTime();
            if (now - reportedNanos >= REPORT_EVERY_NANOS) {
                reportedNanos = now;
                report(RebuildJob.Phase.REPLAYING);
            }
        }

        /**
         * Stops the live writers, replays what is left of the log, checks that the whole log was replayed and swaps
         * the tables; false when the locks were not had in time (the caller catches up and tries again). The pause
         * counted is the live writers' wait: from the lock request, which queues them, to the commit or the timeout.
         */
        private Uni<Boolean> swap() {
            report(RebuildJob.Phase.SWAPPING);
            // When each step of the swap ended, for the log line an operator reads to see where the pause went.
            long[] at = new long[7];
            long replayedBefore = replayed;
            return inShadow(store -> RebuildJobStore.holdForSwap(store, job.id())
                            .invoke(() -> at[0] = System.nanoTime())
                            .chain(() -> RebuildTables.lockLive(store, config.swapLockTimeout()))
                            .invoke(() -> at[1] = System.nanoTime())
                            .chain(() -> Multi.createBy()
                                    .repeating()
                                    .uni(() -> replayPage(store, null))
                                    .whilst(count -> count == config.pageSize())
                                    .collect()
                                    .last())
                            .invoke(() -> at[2] = System.nanoTime())
                            .chain(() -> replayLate(store))
                            .invoke(() -> at[3] = System.nanoTime())
                            .chain(() -> store.countReleases())
                            .invoke(count -> {
                                releases = count;
                                at[4] = System.nanoTime();
                            })
                            .chain(() -> RebuildTables.swap(store, shadow))
                            .invoke(() -> at[5] = System.nanoTime()))
                    .invoke(() -> {
                        at[6] = System.nanoTime();
                        paused(millis(at[0], at[6]));
                        LOG.infof(
                                "Rebuild %s: swapped after the last %d entries; live writers waited %d ms (for the"
                                        + " locks %d ms, tail %d ms, check %d ms, releases counted %d ms, cache"
                                        + " written and renamed %d ms, commit %d ms)",
                                job.id(),
                                replayed - replayedBefore,
                                millis(at[0], at[6]),
                                millis(at[0], at[1]),
                                millis(at[1], at[2]),
                                millis(at[2], at[3]),
                                millis(at[3], at[4]),
                                millis(at[4], at[5]),
                                millis(at[5], at[6]));
                    })
                    .map(ignored -> true)
                    .onFailure(ProjectionRebuild::lockTimedOut)
                    .recoverWithItem(() -> {
                        paused(millis(at[0], System.nanoTime()));
                        LOG.infof(
                                "Rebuild %s: the live tables were busy for %s; catching up and trying again",
                                job.id(), config.swapLockTimeout());
                        return false;
                    });
        }

        private void paused(long millis) {
            longestPauseMs = Math.max(longestPauseMs == null ? 0 : longestPauseMs, millis);
        }

        private <T> Uni<T> inShadow(Function<StoreTransaction, Uni<T>> work) {
            return transactions.inTransaction(home, shadow, slots, work);
        }

        private void finished(Boolean swapped) {
            if (!Boolean.TRUE.equals(swapped)) {
                failed(new IllegalStateException("the live tables stayed busy through " + config.swapAttempts()
                        + " attempts of " + config.swapLockTimeout() + "; nothing was swapped"));
                return;
            }
            Double rate = rate();
            LOG.infof(
                    "Rebuild %s done: %d events into %d releases in %.1f s (%.0f events/s); live writers waited %d ms",
                    job.id(), replayed, releases, seconds(), rate, longestPauseMs);
            jobs.finish(
                            job.id(),
                            RebuildJob.State.SUCCEEDED,
                            replayed,
                            rate,
                            releases,
                            longestPauseMs,
                            peakHeapMb(),
                            String.format(Locale.ROOT, "rebuilt %,d releases from %,d events", releases, replayed))
                    .subscribe()
                    .with(
                            ignored -> {},
                            failure -> LOG.errorf(failure, "Rebuild %s: could not record its end", job.id()));
        }

        private void failed(Throwable failure) {
            LOG.errorf(
                    failure,
                    "Rebuild %s failed after %d events; the live projections are as they were",
                    job.id(),
                    replayed);
            String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
            // A plain transaction: one on the shadow tables would write the cache's unwritten releases at its
            // commit, into the tables it just dropped, and roll the drop back.
            transactions
                    .inTransaction(home, store -> RebuildTables.drop(store, shadow))
                    .onFailure()
                    .recoverWithNull()
                    .chain(() -> jobs.finish(
                            job.id(),
                            RebuildJob.State.FAILED,
                            replayed,
                            rate(),
                            null,
                            longestPauseMs,
                            peakHeapMb(),
                            message))
                    .subscribe()
                    .with(ignored -> {}, end -> LOG.errorf(end, "Rebuild %s: could not record its end", job.id()));
        }

        private void mark(EventLogEntry entry) {
            replayedSeqs.set(index(entry.seq()));
            replayed++;
        }

        private static int index(long seq) {
            if (seq > Integer.MAX_VALUE) {
                throw new IllegalStateException("log sequence number " + seq + " is beyond what a rebuild can track");
            }
            return (int) seq;
        }

        private void report(RebuildJob.Phase phase) {
            jobs.progress(job.id(), phase, replayed, rate(), longestPauseMs)
                    .subscribe()
                    .with(
                            ignored -> {},
                            failure ->
                                    LOG.warnf("Rebuild %s: progress not recorded: %s", job.id(), failure.getMessage()));
        }

        private double seconds() {
            return (System.nanoTime() - startedNanos) / 1e9;
        }

        private Double rate() {
            double seconds = seconds();
            return seconds <= 0 ? null : replayed / seconds;
        }
    }

    private static long millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }

    /** The entries of a page up to the first one recorded at or after {@code recordedBefore}. */
    private static List<EventLogEntry> settled(List<EventLogEntry> page, Instant recordedBefore) {
        for (int i = 0; i < page.size(); i++) {
            if (!page.get(i).recordedAt().isBefore(recordedBefore)) {
                return page.subList(0, i);
            }
        }
        return page;
    }

    private static boolean lockTimedOut(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PgException pg && RebuildTables.LOCK_NOT_AVAILABLE.equals(pg.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    private static void resetHeapPeaks() {
        heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** The most heap the coordinator used while the rebuild ran: the sum of each heap pool's peak. */
    private static Integer peakHeapMb() {
        long bytes = heapPools().stream()
                .mapToLong(pool -> pool.getPeakUsage().getUsed())
                .sum();
        return (int) Math.round(bytes / (1024.0 * 1024.0));
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .toList();
    }
}
