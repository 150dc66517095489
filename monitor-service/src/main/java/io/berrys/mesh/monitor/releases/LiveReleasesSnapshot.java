package io.berrys.mesh.monitor.releases;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.monitor.releases.LiveReleases.Live;
import io.berrys.mesh.monitor.releases.LiveReleases.Stage;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The state of {@link LiveReleases} once it has folded the stream {@code through} an entry id: what a start restores
 * instead of replaying the whole look-back. Pure: encoding and decoding only, {@link SnapshotStore} keeps it.
 *
 * <p>The state is JSON, one array per release so that a day of releases stays small:
 *
 * <pre>
 * {"applied": 1234, "releases": [
 *   ["rel-1", "production", "planning-system", "PROMOTED", "2026-11-26T10:30:00Z", 1201, "1764151200000-0",
 *    "1764151260000-0"], ...]}
 * </pre>
 *
 * that is release id, environment, service, stage, window end, order, last entry applied, last entry seen (the last
 * two may be null). A change to this layout must raise {@link #FORMAT}, so that older snapshots are ignored.
 */
public record LiveReleasesSnapshot(String through, long applied, List<Release> releases) {

    /** The layout above; a snapshot of another format is ignored and the look-back replayed. */
    public static final int FORMAT = 1;

    private static final int FIELDS = 8;

    public LiveReleasesSnapshot {
        releases = List.copyOf(releases);
    }

    /** One release with the entry ids {@link LiveReleases} keeps about it. */
    public record Release(Live live, String lastEntry, String lastSeen) {}

    /** The state as JSON (everything but {@code through}, which is stored beside it). */
    public String encodeState() {
        StringWriter json = new StringWriter(64 + 120 * releases.size());
        try (JsonGenerator out = EventCodec.JSON.getFactory().createGenerator(json)) {
            out.writeStartObject();
            out.writeNumberField("applied", applied);
            out.writeArrayFieldStart("releases");
            for (Release release : releases) {
                Live live = release.live();
                out.writeStartArray();
                out.writeString(live.releaseId());
                out.writeString(live.environment());
                out.writeString(live.service());
                out.writeString(live.stage().name());
                out.writeString(live.windowUntil().toString());
                out.writeNumber(live.order());
                out.writeString(release.lastEntry());
                out.writeString(release.lastSeen());
                out.writeEndArray();
            }
            out.writeEndArray();
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the live-release snapshot", e);
        }
        return json.toString();
    }

    /**
     * Reads a snapshot back, checking every field, so that a damaged one is refused whole rather than restored in
     * part. Throws {@link IllegalArgumentException} saying what is wrong (never quoting the content).
     */
    public static LiveReleasesSnapshot decode(String through, String state) {
        if (!LiveReleases.isEntryId(through)) {
            throw new IllegalArgumentException("'through' is not a stream entry id");
        }
        if (state == null) {
            throw new IllegalArgumentException("it has no state");
        }
        JsonNode root;
        try {
            root = EventCodec.JSON.readTree(state);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("its state is not JSON (at character "
                    + (e.getLocation() == null ? "?" : e.getLocation().getCharOffset()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("its state is not a JSON object");
        }
        JsonNode applied = root.get("applied");
        if (applied == null || !applied.canConvertToExactIntegral() || applied.asLong() < 0) {
            throw new IllegalArgumentException("'applied' is not a count");
        }
        JsonNode rows = root.get("releases");
        if (rows == null || !rows.isArray()) {
            throw new IllegalArgumentException("'releases' is not a list");
        }
        List<Release> releases = new ArrayList<>(rows.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            Release release = release(rows.get(i), i);
            if (!ids.add(release.live().releaseId())) {
                throw new IllegalArgumentException("release " + i + " repeats an earlier release id");
            }
            releases.add(release);
        }
        return new LiveReleasesSnapshot(through, applied.asLong(), releases);
    }

    private static Release release(JsonNode row, int index) {
        if (!row.isArray() || row.size() != FIELDS) {
            throw new IllegalArgumentException("release " + index + " is not a list of " + FIELDS + " fields");
        }
        Stage stage;
        Instant windowUntil;
        try {
            stage = Stage.valueOf(text(row, 3, index));
            windowUntil = Instant.parse(text(row, 4, index));
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new IllegalArgumentException("release " + index + " has an unknown stage or a bad window end");
        }
        JsonNode order = row.get(5);
        if (!order.canConvertToExactIntegral()) {
            throw new IllegalArgumentException("release " + index + " has no order");
        }
        Live live = new Live(
                text(row, 0, index), text(row, 1, index), text(row, 2, index), stage, windowUntil, order.asLong());
        return new Release(live, entryId(row, 6, index), entryId(row, 7, index));
    }

    private static String text(JsonNode row, int field, int index) {
        JsonNode node = row.get(field);
        if (!node.isTextual() || node.asText().isEmpty()) {
            throw new IllegalArgumentException("release " + index + " lacks field " + field);
        }
        return node.asText();
    }

    private static String entryId(JsonNode row, int field, int index) {
        JsonNode node = row.get(field);
        if (node.isNull()) {
            return null;
        }
        if (!node.isTextual() || !LiveReleases.isEntryId(node.asText())) {
            throw new IllegalArgumentException("release " + index + " has a bad entry id in field " + field);
        }
        return node.asText();
    }
}
