package io.berrys.mesh.provisioner.provider;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import io.berrys.mesh.provisioner.plan.AttributeChange;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;

/**
 * A provider made of one handler per kind of resource. An observation asks every handler at once for what carries
 * the environment's tag, then reads attributes, turning the physical ids they name into logical ids.
 */
public abstract class HandlerProvider implements Provider {

    private final String name;
    private final Map<Kind, ResourceHandler> handlers = new EnumMap<>(Kind.class);
    private final ExecutorService pool;

    protected HandlerProvider(String name, List<ResourceHandler> handlers, ExecutorService pool) {
        this.name = name;
        this.pool = pool;
        handlers.forEach(h -> this.handlers.put(h.kind(), h));
    }

    /** The kinds this provider can manage; a spec needing others is refused before anything is touched. */
    public Set<Kind> kinds() {
        return handlers.keySet();
    }

    @Override
    public Map<String, Observed> observe(Scope scope) {
        Map<Kind, CompletableFuture<List<Found>>> finds = new EnumMap<>(Kind.class);
        handlers.forEach(
                (kind, handler) -> finds.put(kind, CompletableFuture.supplyAsync(() -> handler.find(scope), pool)));
        Map<Kind, List<Found>> found = new EnumMap<>(Kind.class);
        try {
            finds.forEach((kind, future) -> found.put(kind, future.join()));
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
        Inventory inventory = new Inventory();
        found.values().forEach(list -> list.forEach(f -> inventory.put(f.id(), f.physicalId(), f.outputs())));
        Map<String, Observed> observed = new LinkedHashMap<>();
        found.forEach((kind, list) -> {
            for (Found f : list) {
                Observed resource = observed(kind, f, inventory);
                Observed twin = observed.putIfAbsent(f.id(), resource);
                if (twin != null) {
                    throw new DuplicateResourceException(f.id(), List.of(twin.physicalId(), f.physicalId()));
                }
            }
        });
        return observed;
    }

    private Observed observed(Kind kind, Found found, Names names) {
        return new Observed(
                found.id(),
                kind,
                found.physicalId(),
                new TreeMap<>(handlers.get(kind).attributes(found, names)),
                found.outputs(),
                found.protect());
    }

    @Override
    public Optional<Observed> find(Scope scope, Kind kind, String id) {
        return Optional.ofNullable(observe(scope).get(id)).filter(o -> o.kind() == kind);
    }

    @Override
    public Created create(Scope scope, Resource desired, Names names, String token, Progress progress) {
        return handler(desired.kind()).create(scope, desired, names, token, progress);
    }

    @Override
    public void update(
            Scope scope,
            Resource desired,
            Observed actual,
            List<AttributeChange> changes,
            Names names,
            Progress progress) {
        handler(desired.kind()).update(scope, desired, actual, changes, names, progress);
    }

    @Override
    public void delete(Scope scope, Observed actual, Progress progress) {
        handler(actual.kind()).delete(scope, actual, progress);
    }

    private ResourceHandler handler(Kind kind) {
        ResourceHandler handler = handlers.get(kind);
        if (handler == null) {
            throw new IllegalArgumentException(
                    "the " + name + " provider does not manage " + kind.label() + " resources");
        }
        return handler;
    }

    /** Two resources carry one logical id: a create happened twice. Nothing is planned until a person picks one. */
    public static final class DuplicateResourceException extends RuntimeException {
        public DuplicateResourceException(String id, List<String> physicalIds) {
            super("two resources carry the logical id " + id + ": " + new ArrayList<>(physicalIds)
                    + "; delete the one that is not in use, then plan again");
        }
    }
}
