package io.berrys.mesh.coordinator.store;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;

/** Tells a store outage (worth waiting out) from a failure that retrying will not fix. */
public final class StoreFailures {

    private StoreFailures() {}

    public static boolean isTransient(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ClosedConnectionException || cause instanceof IOException) {
                return true;
            }
            if (cause instanceof PgException pg && pg.getSqlState() != null) {
                String state = pg.getSqlState();
                // 08: connection exceptions; 57P: the server is shutting down or starting; 53: out of resources;
                // 40001 / 40P01: serialization failure, deadlock.
                if (state.startsWith("08")
                        || state.startsWith("57P")
                        || state.startsWith("53")
                        || state.equals("40001")
                        || state.equals("40P01")) {
                    return true;
                }
            }
            String message = String.valueOf(cause.getMessage());
            if (message.contains("Connection refused")
                    || message.contains("Connection is closed")
                    || message.contains("Pool closed")
                    || message.contains("connection was closed")) {
                return true;
            }
        }
        return false;
    }
}
