package io.berrys.mesh.chatops.slack;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Slack's request signing, version 0: {@code X-Slack-Signature} is {@code v0=} and the hex HMAC-SHA256, keyed with
 * the app's signing secret, of {@code v0:<X-Slack-Request-Timestamp>:<raw body>}. Checked on the raw body before
 * anything is parsed, compared in constant time; a timestamp more than five minutes from now is refused, and so is
 * a signature already accepted inside that window (a replay).
 */
public final class SlackSignature {

    /** Slack's own limit: older requests may have been captured and sent again. */
    public static final Duration WINDOW = Duration.ofMinutes(5);

    /** Replays remembered; past this many in one window the oldest go first. */
    private static final int REMEMBERED = 100_000;

    public enum Verdict {
        VALID,
        MISSING,
        STALE,
        BAD_SIGNATURE,
        REPLAYED
    }

    private final byte[] secret;
    /** Accepted signatures and when their window ends, oldest first. */
    private final Map<String, Instant> seen = new LinkedHashMap<>();

    public SlackSignature(String signingSecret) {
        if (signingSecret == null || signingSecret.isBlank()) {
            throw new IllegalArgumentException("the Slack signing secret is not configured");
        }
        this.secret = signingSecret.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the request is Slack's, and new; a valid one is remembered so it is refused if it comes again. */
    public Verdict verify(String timestamp, String signature, byte[] rawBody, Instant now) {
        if (timestamp == null || signature == null || rawBody == null) {
            return Verdict.MISSING;
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            return Verdict.STALE;
        }
        Instant sent = Instant.ofEpochSecond(seconds);
        if (Duration.between(sent, now).abs().compareTo(WINDOW) > 0) {
            return Verdict.STALE;
        }
        byte[] expected =
                ("v0=" + HexFormat.of().formatHex(hmac(timestamp.trim(), rawBody))).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, signature.trim().getBytes(StandardCharsets.US_ASCII))) {
            return Verdict.BAD_SIGNATURE;
        }
        synchronized (seen) {
            forgetBefore(now);
            if (seen.containsKey(signature)) {
                return Verdict.REPLAYED;
            }
            seen.put(signature, sent.plus(WINDOW));
            if (seen.size() > REMEMBERED) {
                seen.remove(seen.keySet().iterator().next());
            }
        }
        return Verdict.VALID;
    }

    /** The signature Slack would send for this timestamp and body (for the stand-ins the tests sign with). */
    public String sign(String timestamp, byte[] rawBody) {
        return "v0=" + HexFormat.of().formatHex(hmac(timestamp, rawBody));
    }

    private byte[] hmac(String timestamp, byte[] rawBody) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(rawBody);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private void forgetBefore(Instant now) {
        for (Iterator<Instant> ends = seen.values().iterator(); ends.hasNext(); ) {
            if (ends.next().isBefore(now)) {
                ends.remove();
            } else {
                // Inserted oldest first, with one window each: the rest end later.
                break;
            }
        }
    }
}
