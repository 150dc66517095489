package io.berrys.mesh.coordinator.auth;

import io.berrys.mesh.coordinator.api.ApiError;
import jakarta.enterprise.context.RequestScoped;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

/** The authenticated caller of the current request, set by {@link BearerTokenFilter}. */
@RequestScoped
public class CurrentCaller {

    private Caller caller;

    void set(Caller caller) {
        this.caller = caller;
    }

    public Caller get() {
        if (caller == null) {
            throw new WebApplicationException(ApiError.response(Response.Status.UNAUTHORIZED, "not authenticated"));
        }
        return caller;
    }

    /** 403 with a message naming the token and what it lacks. */
    public static Response forbidden(Caller caller, String action) {
        return ApiError.response(
                Response.Status.FORBIDDEN,
                "token '" + caller.name() + "' (" + caller.role().wire() + ", environments " + caller.environments()
                        + ") may not " + action);
    }
}
