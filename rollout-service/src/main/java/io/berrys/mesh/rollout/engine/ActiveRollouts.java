package io.berrys.mesh.rollout.engine;

import io.berrys.mesh.events.catalog.TaskFinished;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rollouts running in this replica, so a rollback, an abort or a verification result reaches the loop waiting on
 * them at once. Only a wake-up call: what a rollout has done is always read back from the cluster.
 */
@ApplicationScoped
public class ActiveRollouts {

    /** Why a running rollout must stop, and whether traffic has already been sent back by whoever stopped it. */
    public static final class Signal {
        private final String releaseId;
        private String stopReason;
        private boolean trafficRestored;

        Signal(String releaseId) {
            this.releaseId = releaseId;
        }

        public synchronized void stop(String reason, boolean restored) {
            if (stopReason == null) {
                stopReason = reason;
                trafficRestored = restored;
            }
            notifyAll();
        }

        public synchronized String stopReason() {
            return stopReason;
        }

        public synchronized boolean trafficRestored() {
            return trafficRestored;
        }

        /** Waits up to {@code millis}; returns early, true, when the rollout was told to stop. */
        public synchronized boolean awaitStop(long millis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            while (stopReason == null) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        }
    }

    private final Map<String, Signal> byService = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<TaskFinished>> verdicts = new ConcurrentHashMap<>();

    public Signal register(String namespace, String service, String releaseId) {
        Signal signal = new Signal(releaseId);
        byService.put(key(namespace, service), signal);
        return signal;
    }

    public void unregister(String namespace, String service, Signal signal) {
        byService.remove(key(namespace, service), signal);
    }

    /** Tells the rollout of a service, if one runs here, to stop; {@code restored} when traffic is back already. */
    public void stop(String namespace, String service, String reason, boolean restored) {
        Signal signal = byService.get(key(namespace, service));
        if (signal != null) {
            signal.stop(reason, restored);
        }
    }

    /** An abort names the release, not the service. */
    public boolean stopRelease(String releaseId, String reason) {
        boolean found = false;
        for (Signal signal : byService.values()) {
            if (releaseId.equals(signal.releaseId)) {
                signal.stop(reason, false);
                found = true;
            }
        }
        return found;
    }

    public CompletableFuture<TaskFinished> expectVerdict(String verificationId) {
        return verdicts.computeIfAbsent(verificationId, id -> new CompletableFuture<>());
    }

    public void forgetVerdict(String verificationId) {
        verdicts.remove(verificationId);
    }

    /** Returns whether a rollout was waiting for it. */
    public boolean verdict(String verificationId, TaskFinished finished) {
        CompletableFuture<TaskFinished> waiting = verdicts.get(verificationId);
        if (waiting == null) {
            return false;
        }
        waiting.complete(finished);
        return true;
    }

    private static String key(String namespace, String service) {
        return namespace + "/" + service;
    }
}
