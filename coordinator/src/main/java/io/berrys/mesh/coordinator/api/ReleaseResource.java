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
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/api/releases")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ReleaseResource {

    private static final int MAX_PAGE_SIZE = 200;
    private static final Duration EVENTS_POLL = Duration.ofMillis(250);

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

    public record CommandRequest(String reason) {}

    @POST
    @Operation(summary = "Publish a release; with an Idempotency-Key, repeating the request returns the same release")
    public Uni<Response> publish(PublishRequest request, @HeaderParam("Idempotency-Key") String idempotencyKey) {
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
    public Uni<Response> list(
            @QueryParam("environment") String environment,
            @QueryParam("service") String service,
            @QueryParam("state") String state,
            @QueryParam("page") @DefaultValue("0") int page,
            @QueryParam("size") @DefaultValue("20") int size) {
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            return Uni.createFrom()
                    .item(ApiError.response(
                            Response.Status.BAD_REQUEST,
                            "page must be 0 or more and size between 1 and " + MAX_PAGE_SIZE));
        }
        Caller who = caller.get();
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
                .inTransaction(store -> store.page(where, parameters, page, size))
                .map(releases -> Response.ok(releases.stream()
                                .map(release -> ReleaseView.of(release, null))
                                .toList())
                        .build());
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One release with its stage timeline and the events that moved it")
    public Uni<Response> get(@PathParam("id") String id) {
        Caller who = caller.get();
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
    public Uni<Response> command(
            @PathParam("id") String id, @PathParam("command") String command, CommandRequest body) {
        ReleaseCommand.Command parsed;
        try {
            parsed = ReleaseCommand.Command.fromWire(command);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(ApiError.response(Response.Status.NOT_FOUND, e.getMessage()));
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
    @Operation(summary = "The release's events as they happen (Server-Sent Events); ends once the release has ended")
    public Multi<Progress> events(@PathParam("id") String id) {
        Caller who = caller.get();
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
