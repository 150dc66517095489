package io.berrys.mesh.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.berrys.mesh.coordinator.auth.Caller;
import io.berrys.mesh.coordinator.auth.CurrentCaller;
import io.berrys.mesh.coordinator.orchestration.Orchestrator;
import io.berrys.mesh.coordinator.pipeline.Pipelines;
import io.berrys.mesh.coordinator.release.IllegalTransitionException;
import io.berrys.mesh.coordinator.release.ReleaseState;
import io.berrys.mesh.coordinator.store.EventLogEntry;
import io.berrys.mesh.coordinator.store.Transactions;
import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Services;
import io.berrys.mesh.events.catalog.ReleaseCommand;
import io.berrys.mesh.events.catalog.ReleasePublished;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/api/releases")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ReleaseResource {

    private static final String MAX_PAGE_SIZE = "200";
    /** Far beyond any history: a page number past it is a mistake, not a request. */
    private static final String MAX_PAGE = "1000000";

    private static final Duration EVENTS_POLL = Duration.ofMillis(250);
    private static final Duration EVENTS_CHECK_LIMIT = Duration.ofSeconds(10);

    private final Orchestrator orchestrator;
    private final Pipelines pipelines;
    private final Transactions transactions;
    private final CurrentCaller caller;

    public ReleaseResource(
            Orchestrator orchestrator, Pipelines pipelines, Transactions transactions, CurrentCaller caller) {
        this.orchestrator = orchestrator;
        this.pipelines = pipelines;
        this.transactions = transactions;
        this.caller = caller;
    }

    /** Why, in the words of whoever asks; kept on the release's timeline. */
    public record CommandRequest(
            @Schema(maxLength = MAX_REASON) String reason) {}

    static final int MAX_REASON = 1000;

    @POST
    @Operation(summary = "Publish a release; with an Idempotency-Key, repeating the request returns the same release")
    @APIResponse(
            responseCode = "201",
            description = "Published",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ReleaseView.class)))
    @APIResponse(
            responseCode = "200",
            description = "Published before under this Idempotency-Key",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ReleaseView.class)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> publish(
            @RequestBody(required = true) PublishRequest request,
            @Parameter(
                            description = "Any text naming this release for its publisher; the same key answers"
                                    + " with the same release. Empty is as none.")
                    @HeaderParam("Idempotency-Key")
                    String idempotencyKey) {
        Caller who = caller.get();
        List<String> problems = PublishValidation.problems(request, pipelines.environments());
        if (!problems.isEmpty()) {
            return Uni.createFrom().item(ApiError.response(Response.Status.BAD_REQUEST, String.join("; ", problems)));
        }
        if (!who.role().mayPublish() || !who.covers(request.environment())) {
            return Uni.createFrom().item(CurrentCaller.forbidden(who, "publish releases to " + request.environment()));
        }
        String releaseId = idempotencyKey == null || idempotencyKey.isBlank()
                ? "rel-" + UUID.randomUUID().toString().substring(0, 13)
                : "rel-" + digest(idempotencyKey).substring(0, 13);
        ReleasePublished payload = new ReleasePublished(
                request.environment(),
                request.service(),
                request.version(),
                request.image(),
                request.databases() == null ? List.of() : request.databases(),
                request.migrations(),
                Boolean.TRUE.equals(request.requiresDowntime()),
                who.name());
        var event = Events.of(EventType.RELEASE_PUBLISHED, Services.COORDINATOR, payload)
                .id("publish-" + releaseId)
                .releaseId(releaseId)
                .subject(request.environment() + "/" + request.service())
                .build();
        return orchestrator
                .acceptFromApi(event)
                .chain(created -> view(releaseId).map(release -> {
                    if (created) {
                        return Response.status(Response.Status.CREATED)
                                .entity(release)
                                .build();
                    }
                    // The key was used before: only for this very release may it answer with the earlier one.
                    if (!release.environment().equals(request.environment())
                            || !release.service().equals(request.service())
                            || !release.version().equals(request.version())) {
                        return ApiError.response(
                                Response.Status.CONFLICT,
                                "Idempotency-Key was already used for another release; use a key per release");
                    }
                    return Response.ok(release).build();
                }));
    }

    @GET
    @Operation(summary = "Releases, newest first, filtered by environment, service and state")
    @APIResponse(
            responseCode = "200",
            description = "One page of releases, without their events",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(type = SchemaType.ARRAY, implementation = ReleaseView.class)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    public Uni<Response> list(
            @QueryParam("environment") String environment,
            @QueryParam("service") String service,
            @Parameter(
                            schema =
                                    @Schema(
                                            enumeration = {
                                                "QUEUED",
                                                "RUNNING",
                                                "WAITING_APPROVAL",
                                                "WAITING_WINDOW",
                                                "PAUSED",
                                                "ROLLING_BACK",
                                                "SUCCEEDED",
                                                "ROLLED_BACK",
                                                "FAILED",
                                                "ABORTED"
                                            }))
                    @QueryParam("state")
                    String state,
            @Parameter(
                            description = "Which page, from 0",
                            schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = MAX_PAGE))
                    @QueryParam("page")
                    @DefaultValue("0")
                    String page,
            @Parameter(
                            description = "Releases per page",
                            schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = MAX_PAGE_SIZE))
                    @QueryParam("size")
                    @DefaultValue("20")
                    String size,
            @jakarta.ws.rs.core.Context jakarta.ws.rs.core.UriInfo uri) {
        List<String> problems = new ArrayList<>();
        ApiError.singleValued(uri, problems, "environment", "service", "state", "page", "size");
        ApiError.notEmpty(uri, problems, "page", "size");
        if (!problems.isEmpty()) {
            return Uni.createFrom().item(ApiError.response(Response.Status.BAD_REQUEST, String.join("; ", problems)));
        }
        Integer pageNumber = ApiError.wholeNumber("page", page, 0, Integer.parseInt(MAX_PAGE), problems);
        Integer pageSize = ApiError.wholeNumber("size", size, 1, Integer.parseInt(MAX_PAGE_SIZE), problems);
        if (!problems.isEmpty()) {
            return Uni.createFrom().item(ApiError.response(Response.Status.BAD_REQUEST, String.join("; ", problems)));
        }
        Caller who = caller.get();
        if (!ApiError.couldBeStored(environment) || !ApiError.couldBeStored(service)) {
            return Uni.createFrom().item(Response.ok(List.of()).build());
        }
        List<String> clauses = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        if (environment != null && !who.covers(environment)) {
            return Uni.createFrom().item(CurrentCaller.forbidden(who, "read releases of " + environment));
        }
        if (!who.environments().contains("*")) {
            parameters.add(who.environments().toArray(String[]::new));
            clauses.add("environment = any($" + parameters.size() + ")");
        }
        if (environment != null) {
            parameters.add(environment);
            clauses.add("environment = $" + parameters.size());
        }
        if (service != null) {
            parameters.add(service);
            clauses.add("service = $" + parameters.size());
        }
        if (state != null) {
            try {
                parameters.add(
                        ReleaseState.valueOf(state.toUpperCase(Locale.ROOT)).name());
            } catch (IllegalArgumentException e) {
                return Uni.createFrom()
                        .item(ApiError.response(
                                Response.Status.BAD_REQUEST, "state must be one of " + List.of(ReleaseState.values())));
            }
            clauses.add("state = $" + parameters.size());
        }
        String where = String.join(" and ", clauses);
        return transactions
                .inTransaction(store -> store.page(where, parameters, pageNumber, pageSize))
                .map(releases -> Response.ok(releases.stream()
                                .map(release -> ReleaseView.of(release, null))
                                .toList())
                        .build());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One release with its stage timeline and the events that moved it")
    @APIResponse(
            responseCode = "200",
            description = "The release",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ReleaseView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> get(@PathParam("id") String id) {
        Caller who = caller.get();
        if (!ApiError.couldBeStored(id)) {
            return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, "no release " + id));
        }
        return view(id).map(found -> {
            if (found == null) {
                return ApiError.response(Response.Status.NOT_FOUND, "no release " + id);
            }
            if (!who.covers(found.environment())) {
                return CurrentCaller.forbidden(who, "read releases of " + found.environment());
            }
            return Response.ok(found).build();
        });
    }

    @POST
    @Path("/{id}/{command}")
    @Operation(summary = "pause, resume, abort, approve or rollback a release")
    @APIResponse(
            responseCode = "200",
            description = "The release after the command",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ReleaseView.class)))
    @APIResponse(responseCode = "400", ref = "BadRequest")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> command(
            @PathParam("id") String id,
            @Parameter(schema = @Schema(enumeration = {"pause", "resume", "abort", "approve", "rollback"}))
                    @PathParam("command")
                    String command,
            @RequestBody(required = false) CommandRequest body) {
        ReleaseCommand.Command parsed;
        try {
            parsed = ReleaseCommand.Command.fromWire(command);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, e.getMessage()));
        }
        if (body != null && body.reason() != null && ApiError.characters(body.reason()) > MAX_REASON) {
            return Uni.createFrom()
                    .item(ApiError.response(
                            Response.Status.BAD_REQUEST,
                            "reason must be at most " + MAX_REASON + " characters, got "
                                    + ApiError.characters(body.reason())));
        }
        if (!ApiError.couldBeStored(id)) {
            return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, "no release " + id));
        }
        Caller who = caller.get();
        String actor = who.name();
        var event = Events.of(
                        EventType.RELEASE_COMMAND,
                        Services.COORDINATOR,
                        new ReleaseCommand(parsed, actor, body == null ? null : body.reason()))
                .releaseId(id)
                .build();
        return transactions.inTransaction(store -> store.release(id)).chain(existing -> {
            if (existing == null) {
                return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, "no release " + id));
            }
            String environment = existing.request().environment();
            if (!who.role().may(parsed) || !who.covers(environment)) {
                return Uni.createFrom()
                        .item(CurrentCaller.forbidden(who, parsed.wire() + " releases in " + environment));
            }
            return orchestrator
                    .acceptFromApi(event)
                    .chain(() -> view(id))
                    .map(updated -> Response.ok(updated).build())
                    .onFailure(IllegalTransitionException.class)
                    .recoverWithItem(failure -> ApiError.response(Response.Status.CONFLICT, failure.getMessage()));
        });
    }

    /**
     * What one server-sent event carries: an event that moved the release, what it said (its step and message),
     * and where the release is now.
     */
    public record Progress(
            long seq,
            String eventId,
            String type,
            String source,
            Instant time,
            String state,
            String reason,
            String message) {}

    private record Batch(List<Progress> items, boolean terminal) {}

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "The release's events as they happen (Server-Sent Events); ends once the release has ended")
    @APIResponse(
            responseCode = "200",
            description = "A stream of Server-Sent Events, each one a Progress as JSON",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Multi<Progress> events(@PathParam("id") String id) {
        Caller who = caller.get();
        // Asked before the stream starts: once it has, its status can no longer say 404 or 403.
        if (!ApiError.couldBeStored(id)) {
            throw new WebApplicationException(ApiError.response(Response.Status.NOT_FOUND, "no release " + id));
        }
        var release =
                transactions.inTransaction(store -> store.release(id)).await().atMost(EVENTS_CHECK_LIMIT);
        if (release == null) {
            throw new WebApplicationException(ApiError.response(Response.Status.NOT_FOUND, "no release " + id));
        }
        if (!who.covers(release.request().environment())) {
            throw new WebApplicationException(CurrentCaller.forbidden(
                    who, "read releases of " + release.request().environment()));
        }
        // The event log, polled: any replica may have applied the release's events, so no in-memory feed would do.
        AtomicLong lastSeq = new AtomicLong();
        AtomicBoolean ended = new AtomicBoolean();
        return Multi.createFrom()
                .ticks()
                .every(EVENTS_POLL)
                .onOverflow()
                .drop()
                .onItem()
                .transformToUniAndConcatenate(tick -> poll(id, who, lastSeq))
                .select()
                .first(batch -> !ended.getAndSet(batch.terminal()))
                .onItem()
                .transformToIterable(Batch::items);
    }

    /**
     * New log entries first, the release after: its state is then at least as new as the entries sent, so the
     * last event of a release that ended carries the terminal state.
     */
    private Uni<Batch> poll(String id, Caller who, AtomicLong lastSeq) {
        return transactions.inTransaction(store -> store.eventsOf(id, lastSeq.get())
                .chain(events -> store.release(id).chain(release -> {
                    if (release == null) {
                        return Uni.createFrom().failure(new NotFoundException("no release " + id));
                    }
                    String environment = release.request().environment();
                    if (!who.covers(environment)) {
                        return Uni.createFrom()
                                .failure(new ForbiddenException(
                                        "token '" + who.name() + "' may not read releases of " + environment));
                    }
                    List<Progress> items = new ArrayList<>();
                    for (EventLogEntry event : events) {
                        lastSeq.set(event.seq());
                        items.add(new Progress(
                                event.seq(),
                                event.eventId(),
                                event.type(),
                                event.source(),
                                event.eventTime(),
                                release.state().name(),
                                release.reason(),
                                said(event.fields())));
                    }
                    return Uni.createFrom()
                            .item(new Batch(items, release.state().isTerminal()));
                })));
    }

    /** The step and message of a logged event, for a person following the release; null when it has none. */
    static String said(String fields) {
        try {
            JsonNode entry = EventCodec.JSON.readTree(fields);
            JsonNode data = EventCodec.JSON.readTree(entry.path("data").asText("{}"));
            String step = data.path("step").asText("");
            String message = data.path("message").asText("");
            if (step.isEmpty() || step.equals("heartbeat")) {
                return message.isEmpty() ? null : message;
            }
            return message.isEmpty() ? step : step + ": " + message;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private Uni<ReleaseView> view(String id) {
        return transactions.inTransaction(store -> store.release(id).chain(release -> {
            if (release == null) {
                return Uni.createFrom().nullItem();
            }
            return store.eventsOf(id, 0).map(events -> ReleaseView.of(release, events));
        }));
    }

    private static String digest(String key) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
