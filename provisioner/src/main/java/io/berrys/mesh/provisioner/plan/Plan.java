package io.berrys.mesh.provisioner.plan;

import java.util.List;

/**
 * The changes that turn what the cloud has into what the spec wants, in the order to carry them out: deletes
 * deepest first, then creates and updates from the roots of the dependency graph down. Unchanged resources are
 * kept (action {@link Action#NOOP}) so the plan accounts for every resource.
 */
public record Plan(List<Change> changes) {

    public Plan {
        changes = List.copyOf(changes);
    }

    public List<Change> pending() {
        return changes.stream().filter(c -> c.action() != Action.NOOP).toList();
    }

    public boolean empty() {
        return pending().isEmpty();
    }

    /** Deletes or replaces of protected resources: a plan holding one needs the force flag. */
    public List<Change> blocked() {
        return changes.stream().filter(c -> c.protect() && c.destroys()).toList();
    }

    public long count(Action action) {
        return changes.stream().filter(c -> c.action() == action).count();
    }

    /** Terraform's counting: a replace adds one and deletes one. {@code +3 ~1 -0}. */
    public String summary() {
        long replaced = count(Action.REPLACE);
        return "+" + (count(Action.CREATE) + replaced) + " ~" + count(Action.UPDATE) + " -"
                + (count(Action.DELETE) + replaced);
    }

    /** The diff: one line per resource that changes, in the order of the plan. */
    public List<String> diff() {
        return pending().stream().map(Change::line).toList();
    }
}
