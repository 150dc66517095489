package io.berrys.mesh.chatops.command;

/** A command that is not in the grammar: what was wrong, then the usage, for the person who typed it. */
public final class UsageException extends RuntimeException {

    public UsageException(String problem) {
        super(problem + "\n" + CommandParser.USAGE);
    }

    /** What was wrong, without the usage. */
    public String problem() {
        String message = getMessage();
        return message.substring(0, message.indexOf('\n'));
    }
}
