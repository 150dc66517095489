package io.berrys.mesh.coordinator.pipeline;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/**
 * A weekly window in which releases that need downtime may run, written {@code "SUN 02:00-04:00"} with an
 * optional zone ({@code "SAT 23:00-01:00 Europe/Berlin"}; UTC otherwise). A window may cross midnight.
 */
public record MaintenanceWindow(DayOfWeek day, LocalTime start, Duration length, ZoneId zone) {

    public static MaintenanceWindow parse(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length < 2 || parts.length > 3) {
            throw invalid(text);
        }
        DayOfWeek day = parseDay(parts[0], text);
        String[] times = parts[1].split("-");
        if (times.length != 2) {
            throw invalid(text);
        }
        try {
            LocalTime start = LocalTime.parse(times[0]);
            LocalTime end = LocalTime.parse(times[1]);
            Duration length = Duration.between(start, end);
            if (length.isNegative() || length.isZero()) {
                length = length.plusDays(1);
            }
            ZoneId zone = parts.length == 3 ? ZoneId.of(parts[2]) : ZoneOffset.UTC;
            return new MaintenanceWindow(day, start, length, zone);
        } catch (java.time.DateTimeException e) {
            throw invalid(text);
        }
    }

    /** The start of the window that is open at {@code now}, or of the next one. */
    public Instant nextOpening(Instant now) {
        ZonedDateTime local = now.atZone(zone);
        ZonedDateTime candidate =
                local.with(TemporalAdjusters.previousOrSame(day)).with(start);
        if (!candidate.plus(length).toInstant().isAfter(now)) {
            candidate = candidate.plusWeeks(1);
        }
        return candidate.toInstant();
    }

    public boolean isOpen(Instant now) {
        Instant opening = nextOpening(now);
        return !opening.isAfter(now);
    }

    public Instant closingAfter(Instant opening) {
        return opening.plus(length);
    }

    @Override
    public String toString() {
        return day.getDisplayName(TextStyle.SHORT, Locale.ROOT).toUpperCase(Locale.ROOT) + " " + start + "-"
                + start.plus(length) + " " + zone;
    }

    private static DayOfWeek parseDay(String text, String whole) {
        for (DayOfWeek day : DayOfWeek.values()) {
            if (day.getDisplayName(TextStyle.SHORT, Locale.ROOT).equalsIgnoreCase(text)
                    || day.name().equalsIgnoreCase(text)) {
                return day;
            }
        }
        throw invalid(whole);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("maintenance window '" + text
                + "' is not like 'SUN 02:00-04:00' (day, HH:MM-HH:MM, optional zone such as Europe/Berlin)");
    }
}
