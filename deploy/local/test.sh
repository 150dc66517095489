#!/usr/bin/env bash
# Runs every test of Berrys Deploy Mesh on this machine: installs and starts the local servers the tests talk to
# (Redis, PostgreSQL, the moto server), the Prometheus and Alertmanager packages (see servers.sh) and kustomize
# (kustomize.sh), then the whole Maven build with its unit and integration tests. Last come the system tests
# (system-tests/): the packaged services as separate JVMs through releases, kill -9 chaos, Redis and PostgreSQL
# restarts, a Redis kill -9, malformed events and an alert-driven rollback; their summary table is printed at the end. Then the main
# job itself, deploy/local/demo.sh, as a newcomer runs it: it fails unless its first release ends SUCCEEDED and its
# second ROLLED_BACK (MESH_SKIP_DEMO=1 leaves it out, for a quicker local run). Before it, schemathesis checks the
# coordinator's and the monitor-service's APIs against their OpenAPI documents (api-conformance.sh;
# MESH_SKIP_API_CHECK=1 leaves it out).
# .ci/run calls exactly this. Extra arguments go to Maven, e.g. deploy/local/test.sh -pl mesh-events
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$REPO"

command -v java >/dev/null || die "java is not installed (the mesh needs a JDK 17): apt-get install -y openjdk-17-jdk-headless"

log "starting the servers the tests need"
"$SCRIPT_DIR/servers.sh" start all >&2
eval "$("$SCRIPT_DIR/servers.sh" env)"
export MESH_REDIS_URL MESH_PG_URL MESH_PG_USER MESH_PG_PASSWORD

SUMMARY="$REPO/system-tests/target/system-tests/summary.txt"
rm -f "$SUMMARY"
show_summary() {
    if [[ -s $SUMMARY ]]; then
        log "system tests (scenario, rounds counted, releases, lost, stuck, wrong state, duplicated side effects, seconds):"
        sed 's/^/    /' "$SUMMARY" >&2
    fi
}
trap show_summary EXIT

# PlatformOverlaysTest renders the platform's overlays; building kustomize here (once, with Go) shows its progress.
kustomize="$("$SCRIPT_DIR/kustomize.sh")" || die "PlatformOverlaysTest needs kustomize v5 (see above)"
log "kustomize for the overlay tests: $kustomize"

log "running the test suite (./mvnw verify)"
./mvnw -B verify "$@"
log "all tests passed"

if [[ ${MESH_SKIP_API_CHECK:-0} != 1 ]]; then
    log "the APIs against their OpenAPI documents (deploy/local/api-conformance.sh, schemathesis)"
    "$SCRIPT_DIR/api-conformance.sh"
fi

if [[ ${MESH_SKIP_DEMO:-0} != 1 ]]; then
    log "the main job (deploy/local/demo.sh): release 1 must end SUCCEEDED, release 2 ROLLED_BACK"
    started=$SECONDS
    # Services left from an earlier run would be reused ("already running") and the demo would test their build.
    "$SCRIPT_DIR/demo.sh" down >&2
    if ! "$SCRIPT_DIR/demo.sh" >&2; then
        "$SCRIPT_DIR/demo.sh" down >&2 || true
        die "the main job failed; see above and $MESH_LOCAL_DIR/services/*.log"
    fi
    "$SCRIPT_DIR/demo.sh" down >&2
    log "the main job passed in $((SECONDS - started)) s"
fi
log "the servers keep running (deploy/local/servers.sh stop stops them)"
