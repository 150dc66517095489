#!/usr/bin/env bash
# How fast does the coordinator drive releases? Prints key=value lines:
#   stage_overhead_p50_ms, stage_overhead_p99_ms   1,000 releases in flight together, every task working 5-15 s
#   stage_round_trip_p50_ms, stage_round_trip_p99_ms   the same, as the agents see it
#   loaded_*  the same with 10,000 more releases held live by silent agents, and loaded_vs_baseline_p99
#   phase_order   the order of those runs (baseline,loaded,loaded,baseline: each kind once in each half, so neither
#             gains from always running second); each kind is reported from its two runs together, and
#             *stage_overhead_p99_ms_by_run gives each run's own p99 in that order. The idle releases are aborted
#             before a baseline run that follows a loaded one
#   cold_stage_overhead_p99_ms   the paced warm-up before them (tasks a fifth as long): the figure the JIT's warm-up
#             hides from the others
#   releases_per_s, events_per_s, saturated_stage_gap_*   1,000 releases published at once, agents answering
#             instantly: the throughput, and how long each stage then waits behind the others' events. events_per_s
#             counts the events the coordinator's event log took in during that run (events_applied)
#   active_releases   releases RUNNING after the last loaded run (the live ones held)
#   *_samples   how many gaps each percentile above was taken from
# Stage overhead runs from a finished reaching the coordinator's stream to the next command written, by Redis's
# clock (the entry ids, whole milliseconds): the coordinator's read, transaction, outbox and write. The round trip
# runs from an agent's finished going out to the next command reaching it. Targets (issue "Coordinator"): p99 <= 20 ms; with
# 10,000 live releases no worse than 2x. Options: BENCH_RELEASES (1000), BENCH_LIVE (10000), BENCH_WORK_MS
# (typical task time, 10000: each task works between half and one and a half of it).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers all

echo "[bench] building and running the coordinator benchmark (several minutes)..." >&2
install_for coordinator
run_maven coordinator -pl coordinator test -Dtest=CoordinatorBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.releases="${BENCH_RELEASES:-1000}" -Dbench.live="${BENCH_LIVE:-10000}" \
    -Dbench.work-ms="${BENCH_WORK_MS:-10000}"
figures
