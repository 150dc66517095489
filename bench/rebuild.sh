#!/usr/bin/env bash
# How fast does the coordinator rebuild its projections from the event log, and what does live work notice? Prints
# key=value lines:
#   rebuild_events           entries of the log replayed
#   rebuild_s                from POST /api/admin/rebuild to the job reading SUCCEEDED
#   rebuild_events_per_s     rebuild_events / rebuild_s
#   rebuild_peak_heap_mb     the coordinator's heap at its highest while the rebuild ran (the sum of each heap pool's
#                            peak), under the shipped JVM options: heap_cap_mb
#   live_pause_ms            the longest gap in handling a paced stream of releases published meanwhile: from an
#                            agent's finished going out to the next command reaching it (live_samples gaps)
#   swap_pause_ms            how long the swap held the live tables locked, as the coordinator measured it
# The packaged coordinator runs as its own JVM with the mesh's JVM options (MESH_JAVA_OPTS, default as the demo's:
# 64 MB heap, 256 KB stacks). About 100,000 events are applied live first (releases that succeed, fail and roll back,
# their tasks reporting heartbeats), then copied under new release ids up to BENCH_EVENTS (1,000,000).
# Targets (issue "Hardening"): >= 20,000 events/s, heap within the cap, live_pause_ms <= 1,000.
# Options: BENCH_EVENTS (1000000), BENCH_LIVE_EVENTS (100000), BENCH_PACED_PER_S (5).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_servers all

echo "[bench] building the coordinator, applying the live events, copying the log and rebuilding it (several minutes)..." >&2
install_for coordinator
run_maven rebuild -pl coordinator verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=RebuildAtScaleIT -Dfailsafe.failIfNoSpecifiedTests=false -Drebuild.bench=true \
    -Drebuild.events="${BENCH_EVENTS:-1000000}" -Drebuild.live-events="${BENCH_LIVE_EVENTS:-100000}" \
    -Drebuild.paced-per-s="${BENCH_PACED_PER_S:-5}"
grep -E '^\[rebuild\]' "$BENCH_LOG" >&2 || true
figures
