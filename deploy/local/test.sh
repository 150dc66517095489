#!/usr/bin/env bash
# Runs every test of Berrys Deploy Mesh on this machine: installs and starts the local servers the tests talk to
# (Redis, PostgreSQL, the moto server) and the Prometheus and Alertmanager packages (see servers.sh), then the
# whole Maven build with its unit and integration tests.
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

log "running the test suite (./mvnw verify)"
./mvnw -B verify "$@"
log "all tests passed; the servers keep running (deploy/local/servers.sh stop stops them)"
