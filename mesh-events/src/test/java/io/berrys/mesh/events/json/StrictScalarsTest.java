package io.berrys.mesh.events.json;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StrictScalarsTest {

    record Body(String version, Integer count, Boolean flag) {}

    private final ObjectMapper json = StrictScalars.apply(new ObjectMapper());

    private String refusal(String body) {
        return JsonProblems.describe(
                assertThrows(JsonProcessingException.class, () -> json.readValue(body, Body.class)));
    }

    @Test
    void eachScalarTakesOnlyItsOwnKind() throws Exception {
        assertEquals(
                new Body("4", 3, true), json.readValue("{\"version\":\"4\",\"count\":3,\"flag\":true}", Body.class));
        assertEquals("`version` must be a string; got 4", refusal("{\"version\": 4}"));
        assertEquals("`flag` must be true or false", refusal("{\"flag\": \"true\"}"));
        assertEquals("`count` must be a whole number", refusal("{\"count\": \"3\"}"));
        assertEquals("`count` must be a whole number; got 3.5", refusal("{\"count\": 3.5}"));
    }

    @Test
    void aStringWithTheNulCharacterIsRefusedNamingItsField() {
        // JSON allows the escape; PostgreSQL's text would refuse it only once the request was being stored.
        ObjectMapper stored = StrictScalars.withoutNul(StrictScalars.apply(new ObjectMapper()));
        String body = "{\"version\": \"2\\u0000\"}";
        assertEquals(
                "`version`: must not contain the NUL character (U+0000)",
                JsonProblems.describe(
                        assertThrows(JsonProcessingException.class, () -> stored.readValue(body, Body.class))));
        // Where nothing is stored in PostgreSQL, the character is as good as any.
        assertEquals(
                "2\u0000",
                assertDoesNotThrow(() -> json.readValue(body, Body.class)).version());
    }
}
