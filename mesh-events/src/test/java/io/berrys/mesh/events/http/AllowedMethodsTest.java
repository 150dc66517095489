package io.berrys.mesh.events.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AllowedMethodsTest {

    @Path("/api/releases")
    public static class Releases {
        @GET
        public String list() {
            return "";
        }

        @POST
        public String publish() {
            return "";
        }

        @GET
        @Path("/{id}")
        public String one() {
            return "";
        }

        @POST
        @Path("/{id}/{command}")
        public String command() {
            return "";
        }

        @GET
        @Path("/{id}/events")
        public String events() {
            return "";
        }
    }

    private final AllowedMethods allowed = AllowedMethods.of(Releases.class);

    @Test
    void eachPathAnswersWithTheMethodsItsResourceMethodsDeclare() {
        assertEquals(Optional.of("GET, HEAD, OPTIONS, POST"), allowed.allow("/api/releases"));
        assertEquals(Optional.of("GET, HEAD, OPTIONS, POST"), allowed.allow("/api/releases/"));
        assertEquals(Optional.of("GET, HEAD, OPTIONS"), allowed.allow("/api/releases/rel-1"));
        assertEquals(Optional.of("OPTIONS, POST"), allowed.allow("/api/releases/rel-1/approve"));
        // The literal template is the more specific: a POST there would not reach the command.
        assertEquals(Optional.of("GET, HEAD, OPTIONS"), allowed.allow("/api/releases/rel-1/events"));
        assertEquals(Optional.empty(), allowed.allow("/api/nothing"));
    }
}
