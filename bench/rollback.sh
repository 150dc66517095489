#!/usr/bin/env bash
# How fast does a rollback put traffic back on the previous version? Prints key=value lines:
#   rollback_restore_p50_ms, rollback_restore_p99_ms, rollback_restore_max_ms
# over BENCH_ROLLBACKS (100) rollouts caught mid-shift (10 % of traffic on the new version) on fabric8's mock API
# server in CRUD mode, through the Gateway API router. Measured by the rollout-service from reading
# mesh.rollback.triggered to the router's update of the HTTPRoute returning. Target (issue "Rollout service"):
# p99 <= 100 ms.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers redis

echo "[bench] building and running the rollback benchmark (a minute or two)..." >&2
install_for rollout-service
run_maven rollback -pl rollout-service test -Dtest=RollbackBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.rollbacks="${BENCH_ROLLBACKS:-100}"
figures
