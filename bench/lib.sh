# shellcheck shell=bash
# Shared by the bench/*.sh scripts. Source it:  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   ROOT                      the repository root; the scripts run from there
#   start_servers TARGET...   starts the local servers named (redis, postgres, monitoring, moto, all; see
#                             deploy/local/servers.sh) and exports where they are
#   install_for MODULE        installs what MODULE's tests need into the local Maven repository (the parent pom and
#                             every module MODULE depends on), so one module's benchmark runs on a fresh clone on a
#                             fresh machine, whose local repository holds none of the project's artifacts
#   run_maven LABEL ARGS...   runs ./mvnw ARGS with its output in a file; on failure prints the end of it and exits
#   figures                   the key=value lines of the last run_maven
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_LOG="$(mktemp)"
trap 'rm -f "$BENCH_LOG"' EXIT

start_servers() {
    local target
    for target in "$@"; do
        "$ROOT/deploy/local/servers.sh" start "$target" >/dev/null
    done
    eval "$("$ROOT/deploy/local/servers.sh" env)"
    export MESH_REDIS_URL MESH_PG_URL MESH_PG_USER MESH_PG_PASSWORD MESH_AWS_ENDPOINT AWS_ACCESS_KEY_ID \
        AWS_SECRET_ACCESS_KEY
}

install_for() {
    ./mvnw -B -q -pl "$1" -am install -DskipTests -Dspotless.check.skip=true >&2
}

run_maven() {
    local label=$1
    shift
    if ! ./mvnw -B -Dspotless.check.skip=true "$@" >"$BENCH_LOG" 2>&1; then
        tail -n 60 "$BENCH_LOG" >&2
        echo "[bench] the $label benchmark failed; the end of its log is above" >&2
        exit 1
    fi
}

figures() {
    grep -E '^[a-z0-9_]+=' "$BENCH_LOG"
}
