package io.berrys.mesh.events;

/**
 * A handler cannot act on the event yet (another consumer holds it, a dependency is busy) but will be able to.
 * Nacking with this does not use up one of the entry's attempts; the connector redelivers it after
 * {@link #delayMs()}.
 */
public class RetryLaterException extends RuntimeException {

    private final long delayMs;

    public RetryLaterException(String reason, long delayMs) {
        super(reason);
        this.delayMs = delayMs;
    }

    public long delayMs() {
        return delayMs;
    }
}
