package io.berrys.mesh.provisioner.plan;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Observed;
import io.berrys.mesh.provisioner.model.Resource;
import java.util.List;

/**
 * What a plan does to one resource and why.
 *
 * @param desired the spec's resource; null for a delete
 * @param observed what the cloud has; null for a create
 * @param level the resource's depth in the dependency graph: resources of one level do not depend on each other
 * @param reason why a resource whose own attributes did not change is replaced or updated (a dependency was replaced)
 */
public record Change(
        String id,
        Kind kind,
        Action action,
        List<AttributeChange> attributes,
        String reason,
        boolean protect,
        int level,
        Resource desired,
        Observed observed) {

    public Change {
        attributes = List.copyOf(attributes);
    }

    /** Deleting it, or replacing it, destroys what it holds. */
    public boolean destroys() {
        return action == Action.DELETE || action == Action.REPLACE;
    }

    /** {@code -/+ db-instance/primary (storageGb: 100 -> 200, ...)}, one line, as the diff shows it. */
    public String line() {
        StringBuilder line = new StringBuilder(action.symbol()).append(' ').append(id);
        if (!attributes.isEmpty()) {
            line.append(": ")
                    .append(String.join(
                            "; ",
                            attributes.stream().map(AttributeChange::toString).toList()));
        }
        if (reason != null) {
            line.append(attributes.isEmpty() ? ": " : "; ").append(reason);
        }
        if (protect && destroys()) {
            line.append(" [protected]");
        }
        return line.toString();
    }
}
