#!/usr/bin/env bash
# How fast does an alert become a rollback? Prints key=value lines:
#   alert_to_rollback_p50_ms, alert_to_rollback_p99_ms, alert_to_rollback_max_ms
# over BENCH_POSTS (1000) Alertmanager webhook posts (after 200 not counted), each a firing HighErrorRate for a
# different service with a rollout in progress, measured by the monitor-service from the request arriving to
# mesh.rollback.triggered written to Redis. Real Redis, Prometheus and Alertmanager run alongside, as in the
# tests. Target (issue "Monitor service"): p99 <= 10 ms.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers redis monitoring

echo "[bench] building and running the alert-to-rollback benchmark (about a minute)..." >&2
install_for monitor-service
run_maven alert-to-rollback -pl monitor-service test -Dtest=AlertToRollbackBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.posts="${BENCH_POSTS:-1000}"
figures
