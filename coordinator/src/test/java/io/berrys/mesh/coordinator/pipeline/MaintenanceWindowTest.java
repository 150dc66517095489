package io.berrys.mesh.coordinator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class MaintenanceWindowTest {

    @Test
    void nextOpeningAndOpenState() {
        MaintenanceWindow window = MaintenanceWindow.parse("SUN 02:00-04:00");
        Instant wednesday = Instant.parse("2026-11-25T10:00:00Z");
        assertEquals(Instant.parse("2026-11-29T02:00:00Z"), window.nextOpening(wednesday));
        assertFalse(window.isOpen(wednesday));
        assertTrue(window.isOpen(Instant.parse("2026-11-29T03:59:00Z")));
        assertEquals(Instant.parse("2026-12-06T02:00:00Z"), window.nextOpening(Instant.parse("2026-11-29T04:00:00Z")));
    }

    @Test
    void windowsCrossMidnightAndZones() {
        MaintenanceWindow window = MaintenanceWindow.parse("SAT 23:00-01:00 Europe/Berlin");
        assertTrue(window.isOpen(Instant.parse("2026-11-28T23:30:00Z"))); // 00:30 Sunday in Berlin
        assertFalse(window.isOpen(Instant.parse("2026-11-29T00:30:00Z")));
    }

    @Test
    void badTextSaysWhatIsExpected() {
        IllegalArgumentException error =
                assertThrows(IllegalArgumentException.class, () -> MaintenanceWindow.parse("Sunday night"));
        assertTrue(error.getMessage().contains("'SUN 02:00-04:00'"));
    }
}
