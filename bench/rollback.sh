#!/usr/bin/env bash
# How fast does a rollback put traffic back on the previous version? Prints key=value lines:
#   rollback_restore_p50_ms, rollback_restore_p99_ms, rollback_restore_max_ms
# over BENCH_ROLLBACKS (100) rollouts caught mid-shift (10 % of traffic on the new version) on fabric8's mock API
# server in CRUD mode, through the Gateway API router. Measured by the rollout-service from reading
# mesh.rollback.triggered to the router's update of the HTTPRoute returning. Target (issue "Rollout service"):
# p99 <= 100 ms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
"$ROOT/deploy/local/servers.sh" start redis >/dev/null
eval "$("$ROOT/deploy/local/servers.sh" env)"
export MESH_REDIS_URL

echo "[bench] building and running the rollback benchmark (a minute or two)..." >&2
log_file="$(mktemp)"
trap 'rm -f "$log_file"' EXIT
./mvnw -B -q -pl mesh-events install -DskipTests -Dspotless.check.skip=true >&2
if ! ./mvnw -B -pl rollout-service test -Dtest=RollbackBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dbench.rollbacks="${BENCH_ROLLBACKS:-100}" >"$log_file" 2>&1; then
    tail -n 60 "$log_file" >&2
    echo "[bench] the rollback benchmark failed; the end of its log is above" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log_file"
