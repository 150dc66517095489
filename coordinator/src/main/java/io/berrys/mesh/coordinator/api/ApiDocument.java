package io.berrys.mesh.coordinator.api;

import io.berrys.mesh.events.http.OpenApiDocuments;
import io.berrys.mesh.events.json.StrictScalars;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * What the annotations cannot say in the API document: the bearer token every {@code /api} call needs (401 without
 * it, 403 when it does not cover the call), the 414 the HTTP server gives a request line too long to read, the error
 * answers the operations refer to by name, and the environments
 * a release may name, which come from the configured pipelines.
 */
public class ApiDocument implements OASFilter {

    private static final String TOKEN = "token";
    private static final Pattern PIPELINE = Pattern.compile("mesh\\.coordinator\\.pipelines\\.([^.]+)\\.stages");

    @Override
    public void filterOpenAPI(OpenAPI document) {
        Components components =
                document.getComponents() == null ? OASFactory.createComponents() : document.getComponents();
        document.setComponents(components);
        OpenApiDocuments.bearerScheme(components, TOKEN, "An API token: Authorization: Bearer <token>");
        OpenApiDocuments.errorResponses(
                components,
                Map.of(
                        "BadRequest", "A parameter or the body breaks a rule; the message names it",
                        "Unauthorized", "No API token, or not a valid one",
                        "Forbidden", "The token's role or environments do not cover this call",
                        "NotFound", "No such release or rebuild",
                        "Conflict", "The request conflicts with the state the release or rebuild is in"));
        // Answered by the HTTP server before any resource runs, with no body.
        components.addResponse(
                "UriTooLong",
                OASFactory.createAPIResponse()
                        .description("The request line is longer than the server reads"
                                + " (quarkus.http.limits.max-initial-line-length, 4096 bytes): shorten the query"));
        if (document.getPaths() == null) {
            return;
        }
        document.getPaths().getPathItems().forEach((path, item) -> {
            if (path.startsWith("/api")) {
                item.getOperations().values().forEach(ApiDocument::needsToken);
            }
        });
        environments(components);
        OpenApiDocuments.optionalMayBeNull(components);
        eventStream(document);
        nulFreeRequestStrings(document, components);
    }

    /**
     * The strings of request bodies are stored in PostgreSQL, whose text cannot hold the NUL character; the API
     * refuses it ({@link ApiJson}), and the document says so with a pattern on each string that has none.
     */
    private static void nulFreeRequestStrings(OpenAPI document, Components components) {
        java.util.Set<Schema> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        document.getPaths()
                .getPathItems()
                .values()
                .forEach(item -> item.getOperations().values().forEach(operation -> {
                    if (operation.getRequestBody() == null
                            || operation.getRequestBody().getContent() == null) {
                        return;
                    }
                    operation.getRequestBody().getContent().getMediaTypes().values().stream()
                            .filter(media -> media.getSchema() != null)
                            .forEach(media -> nulFree(media.getSchema(), components, seen));
                }));
    }

    private static void nulFree(Schema schema, Components components, java.util.Set<Schema> seen) {
        if (schema == null || !seen.add(schema)) {
            return;
        }
        if (schema.getRef() != null) {
            String name = schema.getRef().substring(schema.getRef().lastIndexOf('/') + 1);
            nulFree(
                    components.getSchemas() == null
                            ? null
                            : components.getSchemas().get(name),
                    components,
                    seen);
            return;
        }
        if (schema.getType() != null
                && schema.getType().contains(Schema.SchemaType.STRING)
                && schema.getPattern() == null
                && schema.getEnumeration() == null) {
            schema.setPattern(StrictScalars.NUL_FREE);
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(property -> nulFree(property, components, seen));
        }
        nulFree(schema.getItems(), components, seen);
        if (schema.getAnyOf() != null) {
            schema.getAnyOf().forEach(choice -> nulFree(choice, components, seen));
        }
        if (schema.getOneOf() != null) {
            schema.getOneOf().forEach(choice -> nulFree(choice, components, seen));
        }
        if (schema.getAdditionalPropertiesSchema() != null) {
            nulFree(schema.getAdditionalPropertiesSchema(), components, seen);
        }
    }

    /** Each Server-Sent Event of a release's stream: a Progress as JSON in its data. */
    private static void eventStream(OpenAPI document) {
        PathItem events = document.getPaths().getPathItem("/api/releases/{id}/events");
        if (events == null || events.getGET() == null || events.getGET().getResponses() == null) {
            return;
        }
        var ok = events.getGET().getResponses().getAPIResponse("200");
        if (ok == null || ok.getContent() == null) {
            return;
        }
        var stream = ok.getContent().getMediaType("text/event-stream");
        if (stream != null) {
            stream.setSchema(OASFactory.createSchema()
                    .addType(Schema.SchemaType.OBJECT)
                    .addRequired("data")
                    .addProperty(
                            "data",
                            OASFactory.createSchema()
                                    .addType(Schema.SchemaType.STRING)
                                    .contentMediaType("application/json"))
                    .addProperty("event", OASFactory.createSchema().addType(Schema.SchemaType.STRING))
                    .addProperty("id", OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
        }
    }

    private static void needsToken(Operation operation) {
        operation.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(TOKEN));
        APIResponses responses = operation.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            operation.setResponses(responses);
        }
        responses.addAPIResponse("401", OASFactory.createAPIResponse().ref("Unauthorized"));
        responses.addAPIResponse("403", OASFactory.createAPIResponse().ref("Forbidden"));
        responses.addAPIResponse("414", OASFactory.createAPIResponse().ref("UriTooLong"));
    }

    /** The publish body's environment is one with a pipeline; its databases are identifiers. */
    private static void environments(Components components) {
        Schema publish =
                components.getSchemas() == null ? null : components.getSchemas().get("PublishRequest");
        if (publish == null || publish.getProperties() == null) {
            return;
        }
        TreeSet<String> environments = new TreeSet<>();
        for (String name : ConfigProvider.getConfig().getPropertyNames()) {
            Matcher pipeline = PIPELINE.matcher(name);
            if (pipeline.matches()) {
                environments.add(pipeline.group(1));
            }
        }
        Schema environment = publish.getProperties().get("environment");
        if (environment != null && !environments.isEmpty()) {
            environment.setEnumeration(new ArrayList<>(environments));
        }
        Schema databases = publish.getProperties().get("databases");
        if (databases != null) {
            databases.setItems(OASFactory.createSchema()
                    .addType(Schema.SchemaType.STRING)
                    .pattern(PublishValidation.DATABASE_RULE));
        }
    }
}
