package io.berrys.mesh.chatops.access;

/** What a chat user may do in one environment; each role may do what the ones before it may. */
public enum Role {
    /** status, list, env plan and drift. */
    VIEWER,
    /** deploy, pause, resume, abort, rollback. */
    DEPLOYER,
    /** all of it, approvals included where the environment names no approvers. */
    ADMIN
}
