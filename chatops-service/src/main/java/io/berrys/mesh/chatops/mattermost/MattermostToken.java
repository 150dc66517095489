package io.berrys.mesh.chatops.mattermost;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Mattermost's check of a slash command: each command has its own token, sent as the {@code token} form field (and,
 * in newer versions, as {@code Authorization: Token ...}). Compared in constant time against the token configured
 * for that command's trigger word, so a token of one command does not work for another.
 */
public final class MattermostToken {

    private final Map<String, byte[]> byCommand;

    /** @param tokens slash command (its trigger word, {@code mesh}) to its token */
    public MattermostToken(Map<String, String> tokens) {
        if (tokens.isEmpty() || tokens.values().stream().anyMatch(t -> t == null || t.isBlank())) {
            throw new IllegalArgumentException("a Mattermost slash command is configured without its token");
        }
        this.byCommand = Map.copyOf(tokens.entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(
                        e -> trigger(e.getKey()), e -> e.getValue().getBytes(StandardCharsets.UTF_8))));
    }

    public boolean verify(String command, String token) {
        if (command == null || token == null) {
            return false;
        }
        byte[] expected = byCommand.get(trigger(command));
        // An unknown command is compared against a token of the same length, so it takes as long as a wrong one.
        byte[] against = expected != null ? expected : new byte[token.length()];
        boolean equal = MessageDigest.isEqual(against, token.getBytes(StandardCharsets.UTF_8));
        return expected != null && equal;
    }

    /** {@code /mesh} and {@code mesh} are the same command. */
    private static String trigger(String command) {
        return command.startsWith("/") ? command.substring(1) : command;
    }
}
