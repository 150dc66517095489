package io.berrys.mesh.events.http;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * What a service's generated API document leaves out and its filter adds: optional properties may be null in the
 * answers (a release not yet ended has no reason), which OpenAPI 3.1 says with "null" among a property's types, and
 * the error answers and bearer-token schemes its operations refer to by name.
 */
public final class OpenApiDocuments {

    private OpenApiDocuments() {}

    public static void optionalMayBeNull(Components components) {
        if (components == null || components.getSchemas() == null) {
            return;
        }
        components.getSchemas().values().forEach(schema -> {
            if (schema.getProperties() == null) {
                return;
            }
            Map<String, Schema> properties = schema.getProperties();
            for (String name : List.copyOf(properties.keySet())) {
                Schema property = properties.get(name);
                boolean required =
                        schema.getRequired() != null && schema.getRequired().contains(name);
                if (required) {
                    continue;
                }
                if (property.getRef() != null) {
                    // A reference cannot take "null" among its types: either the referred schema or null.
                    schema.addProperty(
                            name,
                            OASFactory.createSchema()
                                    .addAnyOf(OASFactory.createSchema().ref(property.getRef()))
                                    .addAnyOf(OASFactory.createSchema().addType(Schema.SchemaType.NULL)));
                } else if (property.getType() != null && !property.getType().contains(Schema.SchemaType.NULL)) {
                    property.addType(Schema.SchemaType.NULL);
                }
            }
        });
    }

    /** A bearer-token security scheme. */
    public static void bearerScheme(Components components, String name, String description) {
        components.addSecurityScheme(
                name,
                OASFactory.createSecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .description(description));
    }

    /** Named error answers, each a JSON body {@code {"error": "..."}}, for operations to refer to. */
    public static void errorResponses(Components components, Map<String, String> descriptions) {
        components.addSchema(
                "Error",
                OASFactory.createSchema()
                        .addType(Schema.SchemaType.OBJECT)
                        .addProperty("error", OASFactory.createSchema().addType(Schema.SchemaType.STRING))
                        .addRequired("error"));
        descriptions.forEach((name, description) -> components.addResponse(
                name,
                OASFactory.createAPIResponse()
                        .description(description)
                        .content(OASFactory.createContent()
                                .addMediaType(
                                        "application/json",
                                        OASFactory.createMediaType()
                                                .schema(OASFactory.createSchema()
                                                        .ref("#/components/schemas/Error"))))));
    }
}
