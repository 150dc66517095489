package io.berrys.mesh.provisioner.plan;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares what a spec wants with what the cloud has, resource by resource, and orders the changes by their
 * dependencies. Pure: no cloud, no clock, no randomness, so a plan can be unit-tested and shown before it runs.
 * Its cost is linear in resources plus references.
 */
public final class Planner {

    private Planner() {}

    public static Plan plan(List<Resource> desired, Map<String, Observed> observed) {
        Map<String, Resource> wanted = new LinkedHashMap<>();
        for (Resource resource : desired) {
            if (wanted.put(resource.id(), resource) != null) {
                throw new IllegalArgumentException("two desired resources with the logical id " + resource.id());
            }
        }
        Map<String, Set<String>> dependencies = new HashMap<>();
        wanted.forEach((id, resource) -> dependencies.put(id, resource.dependencies()));
        observed.forEach((id, actual) -> dependencies.putIfAbsent(id, actual.dependencies()));
        // What the cloud has may name things outside the environment (a VPC made by hand): those do not order
        // anything here.
        observed.keySet().stream()
                .filter(id -> !wanted.containsKey(id))
                .forEach(id -> dependencies.put(
                        id,
                        new TreeSet<>(dependencies.get(id).stream()
                                .filter(dependencies::containsKey)
                                .toList())));
        Map<String, Integer> levels = levels(dependencies);

        Map<String, Change> changes = new HashMap<>();
        for (String id : byLevel(levels, wanted.keySet(), false)) {
            Resource want = wanted.get(id);
            Observed actual = observed.get(id);
            if (actual == null) {
                changes.put(id, change(want, null, Action.CREATE, List.of(), null, levels));
                continue;
            }
            if (actual.kind() != want.kind()) {
                throw new IllegalArgumentException(id + " is a " + want.kind().label() + " in the spec and a "
                        + actual.kind().label() + " in the cloud");
            }
            List<AttributeChange> diff = diff(want, actual);
            String reason = null;
            // A replaced dependency gets a new physical id: what names it must follow, by replacing itself where
            // that reference cannot change in place. So does one made again (deleted by hand) that this resource
            // took something from only at its create (a password, a URL's parts), which no diff would show.
            for (String dependency : want.dependencies()) {
                Change upstream = changes.get(dependency);
                if (upstream == null) {
                    continue;
                }
                String attribute = referencing(want, dependency);
                boolean madeAgain =
                        upstream.action() == Action.CREATE && want.kind().createOnly(attribute);
                if (upstream.action() != Action.REPLACE && !madeAgain) {
                    continue;
                }
                boolean forces = want.kind().forcesReplacement(attribute);
                if (diff.stream().noneMatch(c -> c.name().equals(attribute))) {
                    List<AttributeChange> extended = new ArrayList<>(diff);
                    extended.add(new AttributeChange(attribute, dependency, dependency, forces));
                    diff = extended;
                }
                String why = dependency + (madeAgain ? " is made again" : " is replaced");
                reason = reason == null ? why : reason + ", " + why;
            }
            Action action = diff.isEmpty()
                    ? Action.NOOP
                    : diff.stream().anyMatch(AttributeChange::forcesReplacement) ? Action.REPLACE : Action.UPDATE;
            changes.put(id, change(want, actual, action, diff, reason, levels));
        }
        List<Change> deletes = new ArrayList<>();
        for (String id : byLevel(levels, observed.keySet(), true)) {
            if (!wanted.containsKey(id)) {
                Observed actual = observed.get(id);
                deletes.add(new Change(
                        id,
                        actual.kind(),
                        Action.DELETE,
                        List.of(),
                        null,
                        actual.protect(),
                        levels.get(id),
                        null,
                        actual));
            }
        }
        List<Change> ordered = new ArrayList<>(deletes);
        for (String id : byLevel(levels, wanted.keySet(), false)) {
            ordered.add(changes.get(id));
        }
        return new Plan(ordered);
    }

    private static Change change(
            Resource want,
            Observed actual,
            Action action,
            List<AttributeChange> diff,
            String reason,
            Map<String, Integer> levels) {
        boolean protect = want.protect() || (actual != null && actual.protect());
        return new Change(want.id(), want.kind(), action, diff, reason, protect, levels.get(want.id()), want, actual);
    }

    /** The attributes in which a resource differs from what the cloud has, create-only ones left out. */
    public static List<AttributeChange> diff(Resource want, Observed actual) {
        Kind kind = want.kind();
        List<AttributeChange> diff = new ArrayList<>();
        Set<String> names = new TreeSet<>(want.attributes().keySet());
        names.addAll(actual.attributes().keySet());
        for (String name : names) {
            if (kind.createOnly(name) || !want.attributes().containsKey(name)) {
                // An attribute the spec does not speak of is the cloud's business.
                continue;
            }
            if (!actual.attributes().containsKey(name)) {
                // The cloud's API does not tell (a handler leaves out what it cannot read): unknown, not drift.
                continue;
            }
            Object to = want.attributes().get(name);
            Object from = actual.attributes().get(name);
            if (!Objects.equals(to, from)) {
                diff.add(new AttributeChange(name, from, to, kind.forcesReplacement(name)));
            }
        }
        return diff;
    }

    private static String referencing(Resource resource, String dependency) {
        for (String name : resource.kind().references()) {
            Object value = resource.attributes().get(name);
            if (dependency.equals(value) || (value instanceof List<?> list && list.contains(dependency))) {
                return name;
            }
        }
        throw new IllegalStateException(resource.id() + " does not reference " + dependency);
    }

    /** Each resource's longest chain of dependencies (0 for roots); a cycle or a dangling reference is an error. */
    static Map<String, Integer> levels(Map<String, Set<String>> dependencies) {
        Map<String, Integer> pending = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        dependencies.forEach((id, needs) -> {
            for (String need : needs) {
                if (!dependencies.containsKey(need)) {
                    throw new IllegalArgumentException(id + " references " + need + ", which is not in the spec");
                }
                dependents.computeIfAbsent(need, k -> new ArrayList<>()).add(id);
            }
            pending.put(id, needs.size());
        });
        Map<String, Integer> levels = new HashMap<>();
        Deque<String> ready = new ArrayDeque<>();
        pending.forEach((id, count) -> {
            if (count == 0) {
                ready.add(id);
                levels.put(id, 0);
            }
        });
        while (!ready.isEmpty()) {
            String id = ready.poll();
            int level = levels.get(id);
            for (String dependent : dependents.getOrDefault(id, List.of())) {
                levels.merge(dependent, level + 1, Math::max);
                if (pending.merge(dependent, -1, Integer::sum) == 0) {
                    ready.add(dependent);
                }
            }
        }
        if (levels.size() != dependencies.size()) {
            Set<String> cycle = new TreeSet<>(dependencies.keySet());
            cycle.removeAll(levels.keySet());
            throw new IllegalArgumentException("the resources " + cycle + " depend on each other in a cycle");
        }
        return levels;
    }

    private static List<String> byLevel(Map<String, Integer> levels, Set<String> ids, boolean deepestFirst) {
        Comparator<String> order = Comparator.comparing(levels::get);
        if (deepestFirst) {
            order = order.reversed();
        }
        return ids.stream()
                .sorted(order.thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    /** Groups a plan's changes into waves that may run in parallel: every change of a wave has one level. */
    public static List<List<Change>> waves(List<Change> changes) {
        TreeMap<Integer, List<Change>> waves = new TreeMap<>();
        changes.forEach(
                c -> waves.computeIfAbsent(c.level(), k -> new ArrayList<>()).add(c));
        return List.copyOf(waves.values());
    }
}
