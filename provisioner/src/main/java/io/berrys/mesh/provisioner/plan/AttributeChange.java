package io.berrys.mesh.provisioner.plan;

/** One attribute a plan changes: the value the cloud has, the value the spec wants, and whether it forces a replace. */
public record AttributeChange(String name, Object from, Object to, boolean forcesReplacement) {

    @Override
    public String toString() {
        return name + ": " + show(from) + " -> " + show(to) + (forcesReplacement ? " (forces replacement)" : "");
    }

    private static String show(Object value) {
        if (value == null) {
            return "(none)";
        }
        return value instanceof String text ? '"' + text + '"' : value.toString();
    }
}
