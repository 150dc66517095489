package io.berrys.mesh.provisioner.aws;

import io.berrys.mesh.provisioner.provider.Progress;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

/** Polls a resource's state until it is done, failed or out of time, saying what it waits for as it goes. */
final class Waiter {

    private Waiter() {}

    /**
     * @param state the current state, or null when the resource is gone
     * @param done the states (null for "gone") that end the wait
     * @param failed the states that mean it will never get there
     */
    static void until(
            String what,
            Duration timeout,
            Progress progress,
            Supplier<String> state,
            Set<String> done,
            Set<String> failed) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        long pause = 500;
        String last = "";
        while (true) {
            String now;
            try {
                now = state.get();
            } catch (RuntimeException e) {
                if (!passing(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                progress.report("waiting for " + what + ": the status read failed (" + e.getMessage() + "), retrying");
                sleep(pause);
                pause = Math.min(pause * 2, 10_000);
                continue;
            }
            if (now == null ? done.stream().anyMatch(java.util.Objects::isNull) : done.contains(now)) {
                return;
            }
            if (now != null && failed.contains(now)) {
                throw new IllegalStateException(what + " ended in state " + now);
            }
            long waited = Duration.ofNanos(System.nanoTime() - started).toSeconds();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " is still " + (now == null ? "gone" : now) + " after " + waited
                        + " s (timeout " + timeout.toSeconds() + " s)");
            }
            String shown = now == null ? "gone" : now;
            if (!shown.equals(last) || waited % 30 == 0) {
                progress.report("waiting for " + what + ": " + shown + ", " + waited + " s");
                last = shown;
            }
            sleep(pause);
            pause = Math.min(pause * 2, 10_000);
        }
    }

    /**
     * Throttling, a 5xx or no answer at all (the connection dropped or timed out): a call worth trying again, for
     * a status read here and for the engine's retries ({@link AwsProvider#transientFailure}).
     */
    static boolean passing(RuntimeException e) {
        if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException service) {
            return service.statusCode() >= 500 || service.statusCode() == 429 || service.isThrottlingException();
        }
        return e instanceof software.amazon.awssdk.core.exception.SdkClientException;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
