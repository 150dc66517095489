package io.berrys.mesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;

/** Live progress of one release, from its event stream; reconnects if the stream breaks before the end. */
final class Follow {

    private static final int MAX_RECONNECTS = 20;

    private Follow() {}

    static int untilEnd(MeshApi api, String id, Duration timeout, PrintWriter out) {
        Instant deadline = Instant.now().plus(timeout);
        long[] lastSeq = {0};
        int reconnects = 0;
        while (Instant.now().isBefore(deadline)) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || left.isZero()) {
                break;
            }
            try {
                api.follow("api/releases/" + id + "/events", left, event -> {
                    long seq = event.path("seq").asLong();
                    if (seq > lastSeq[0]) {
                        lastSeq[0] = seq;
                        String said = event.path("message").asText("");
                        out.printf(
                                "  %s  %-28s %-22s %-11s %s%n",
                                event.path("time").asText("").replaceFirst("\\.\\d+", ""),
                                event.path("type").asText(),
                                event.path("source").asText(),
                                event.path("state").asText(),
                                said.length() > 140 ? said.substring(0, 140) + "…" : said);
                        out.flush();
                    }
                });
            } catch (MeshApi.ApiException e) {
                if (++reconnects > MAX_RECONNECTS) {
                    throw e;
                }
                out.printf("  (event stream interrupted: %s; reconnecting)%n", e.getMessage());
                out.flush();
                sleep(1_000);
                continue;
            }
            JsonNode release = api.get("api/releases/" + id);
            String state = release.get("state").asText();
            if (isTerminal(state)) {
                out.println(summary(release));
                out.flush();
                return ExitCode.forState(state);
            }
        }
        out.printf(
                "%s: still %s after %s; not waiting any longer%n",
                id, api.get("api/releases/" + id).get("state").asText(), timeout);
        out.flush();
        return ExitCode.TIMED_OUT;
    }

    static void printRelease(JsonNode release, PrintWriter out) {
        out.println(summary(release));
        for (JsonNode stage : release.path("stages")) {
            out.printf(
                    "  %-13s %-10s %s%n",
                    stage.path("task").asText(),
                    stage.path("status").asText(),
                    stage.path("message").isNull() ? "" : stage.path("message").asText());
        }
        out.flush();
    }

    static String summary(JsonNode release) {
        String state = release.get("state").asText();
        String line = release.get("id").asText() + ": " + state + " - "
                + release.get("service").asText() + " " + release.get("version").asText() + " to "
                + release.get("environment").asText();
        JsonNode reason = release.get("reason");
        return reason == null || reason.isNull() ? line : line + ": " + reason.asText();
    }

    private static boolean isTerminal(String state) {
        return state.equals("SUCCEEDED")
                || state.equals("FAILED")
                || state.equals("ROLLED_BACK")
                || state.equals("ABORTED");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
