#!/usr/bin/env bash
# How fast does an alert become a rollback? Prints key=value lines:
#   alert_to_rollback_p50_ms, alert_to_rollback_p99_ms, alert_to_rollback_max_ms
# over BENCH_POSTS (1000) Alertmanager webhook posts (after 200 not counted), each a firing HighErrorRate for a
# different service with a rollout in progress, measured by the monitor-service from the request arriving to
# mesh.rollback.triggered written to Redis. Real Redis, Prometheus and Alertmanager run alongside, as in the
# tests. Target (issue "Monitor service"): p99 <= 10 ms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
"$ROOT/deploy/local/servers.sh" start redis >/dev/null
"$ROOT/deploy/local/servers.sh" start monitoring >/dev/null
eval "$("$ROOT/deploy/local/servers.sh" env)"
export MESH_REDIS_URL

echo "[bench] building and running the alert-to-rollback benchmark (about a minute)..." >&2
log_file="$(mktemp)"
trap 'rm -f "$log_file"' EXIT
./mvnw -B -q -pl mesh-events install -DskipTests -Dspotless.check.skip=true >&2
if ! ./mvnw -B -pl monitor-service test -Dtest=AlertToRollbackBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dbench.posts="${BENCH_POSTS:-1000}" >"$log_file" 2>&1; then
    tail -n 60 "$log_file" >&2
    echo "[bench] the alert-to-rollback benchmark failed; the end of its log is above" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log_file"
