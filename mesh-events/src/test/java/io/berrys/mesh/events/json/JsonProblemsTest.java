package io.berrys.mesh.events.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonProblemsTest {

    record Alert(String status, Map<String, String> labels, int count) {}

    record Payload(String version, List<Alert> alerts) {}

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static String problem(String body) {
        JsonProcessingException failure =
                assertThrows(JsonProcessingException.class, () -> JSON.readValue(body, Payload.class));
        String described = JsonProblems.describe(failure);
        assertFalse(described.contains("java."), described);
        assertFalse(described.contains("io.berrys"), described);
        return described;
    }

    @Test
    void aValueOfTheWrongKindNamesItsPathAndTheKindExpected() {
        assertEquals("`alerts` must be an array", problem("{\"alerts\": {\"status\": \"firing\"}}"));
        assertEquals("`alerts[1].labels` must be an object", problem("{\"alerts\": [{}, {\"labels\": [1]}]}"));
        assertEquals(
                "`alerts[0].count` must be a whole number; got \"many\"",
                problem("{\"alerts\": [{\"count\": \"many\"}]}"));
    }

    @Test
    void brokenJsonAndUnknownFieldsAreNamed() {
        assertEquals(
                "the body is not valid JSON: it ends before its last value is complete", problem("{\"alerts\": ["));
        assertTrue(problem("{\"alerts\": [}").startsWith("the body is not valid JSON (line 1, column"));
        assertEquals("`colour` is not a known field", problem("{\"colour\": \"red\"}"));
    }
}
