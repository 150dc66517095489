package io.berrys.mesh.events;

/**
 * An entry that can never be handled, whatever the retry: it goes straight to the dead-letter stream with
 * {@link #getMessage()} as the reason.
 */
public class MalformedEventException extends RuntimeException {
    public MalformedEventException(String reason) {
        super(reason);
    }

    public MalformedEventException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
