package io.berrys.mesh.provisioner.plan;

/** What a plan does to one resource. */
public enum Action {
    CREATE("+"),
    UPDATE("~"),
    REPLACE("-/+"),
    DELETE("-"),
    NOOP(" ");

    private final String symbol;

    Action(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }
}
