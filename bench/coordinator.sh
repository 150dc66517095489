#!/usr/bin/env bash
# How fast does the coordinator drive releases? Prints key=value lines:
#   releases_per_s, stage_overhead_p50_ms, stage_overhead_p99_ms   1,000 releases at once, instant agents
#   loaded_*  the same with 10,000 more releases held live by silent agents, and loaded_vs_baseline_p99
#   active_releases   releases RUNNING at the end
# Stage overhead runs from an agent's finished event going out to the next command reaching it: the stream, the
# coordinator's transaction and outbox, the stream again. Targets (issue "Coordinator"): p99 <= 20 ms; with
# 10,000 live releases no worse than 2x. Options: BENCH_RELEASES (1000), BENCH_LIVE (10000), BENCH_CONCURRENCY
# (copies of the transitions channel, 4 as in production).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
"$ROOT/deploy/local/servers.sh" start all >/dev/null
eval "$("$ROOT/deploy/local/servers.sh" env)"
export MESH_REDIS_URL MESH_PG_URL MESH_PG_USER MESH_PG_PASSWORD

echo "[bench] building and running the coordinator benchmark (several minutes)..." >&2
log_file="$(mktemp)"
trap 'rm -f "$log_file"' EXIT
./mvnw -B -q -pl mesh-events,mesh-cli install -DskipTests -Dspotless.check.skip=true >&2
if ! ./mvnw -B -pl coordinator test -Dtest=CoordinatorBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotless.check.skip=true -Dbench.releases="${BENCH_RELEASES:-1000}" -Dbench.live="${BENCH_LIVE:-10000}" \
    -Dbench.concurrency="${BENCH_CONCURRENCY:-4}" \
    >"$log_file" 2>&1; then
    tail -n 60 "$log_file" >&2
    echo "[bench] the coordinator benchmark failed; the end of its log is above" >&2
    exit 1
fi
grep -E '^[a-z0-9_]+=' "$log_file"
