package io.berrys.mesh.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.berrys.mesh.events.json.StrictScalars;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Request bodies read as the API document types them (see {@link StrictScalars}), without the NUL character, which
 * PostgreSQL's text cannot hold.
 */
@Singleton
public class ApiJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        StrictScalars.withoutNul(StrictScalars.apply(mapper));
    }
}
