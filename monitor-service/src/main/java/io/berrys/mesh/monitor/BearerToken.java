package io.berrys.mesh.monitor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The monitor-service's two bearer tokens: Alertmanager's, for the webhook, and the operators' (the coordinator's
 * operator token), for reading what the monitor believes is live. Both are compared in constant time, never echoed.
 */
public final class BearerToken {

    public static final String ALERT_TOKEN = "alertToken";
    public static final String API_TOKEN = "apiToken";

    private BearerToken() {}

    /** Why a caller with this Authorization header is refused, or null when the token is the expected one. */
    public static String refusal(String authorization, Optional<String> expected, String whenNoneConfigured) {
        String token = expected.orElse("");
        if (token.isBlank()) {
            return whenNoneConfigured;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "an Authorization: Bearer header is required";
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8))) {
            return "the bearer token is not valid";
        }
        return null;
    }
}
