package io.berrys.mesh.events;

/** Redis stream keys of the mesh. Never spell these as literals elsewhere. */
public final class Streams {

    /** Every started, progressed, finished and spontaneous event, read by the coordinator. */
    public static final String TRANSITIONS = "mesh.transitions";

    /** Rollback commands, read ahead of normal work. */
    public static final String PRIORITY = "mesh.priority";

    /**
     * Release requests and commands from their producers other than the coordinator's own API (the monitor-service's
     * rollbacks, later chat-ops). Only they may write it (Redis ACLs); the coordinator takes {@code
     * mesh.release.published} and {@code mesh.release.command} from here and from nowhere else.
     */
    public static final String COMMANDS = "mesh.commands";

    public static final String DEAD_LETTER_SUFFIX = ".dlq";

    private Streams() {}

    public static String deadLetter(String stream) {
        return stream + DEAD_LETTER_SUFFIX;
    }

    /** The stream an event of this type is written to, following the routing rules of docs/architecture.md. */
    public static String forType(String type) {
        EventType parsed = EventType.parse(type);
        if (parsed.task() != null && parsed.phase() == Phase.TRIGGERED) {
            return parsed.task().commandStream();
        }
        return TRANSITIONS;
    }
}
