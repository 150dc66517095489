#!/usr/bin/env bash
# How long do the provisioner's plans and applies take? Prints key=value lines; each timed figure comes as the
# median over BENCH_RUNS (5) samples with its first (cold, in a fresh JVM) and worst sample and the sample count:
#   seed_spec_resources       resources of deploy/environments/production.yaml
#   apply_from_scratch_s      an apply of the production spec on the local moto server from nothing (1 sample)
#   plan_ms_seed_spec         a plan of it once applied: every AWS listing and read through the SDK, and the planner
#   noop_apply_s              an apply with nothing to do: the same observation, the plan, no call that changes
#   plan_ms_1000, plan_ms_10000   the planner alone (no AWS) over 1,000 and 10,000 resources, 1% of them changed,
#                             diff rendered
# Targets (issue "Provisioner"): noop_apply_s <= 2, plan_ms_10000 <= 5000. Moto answers faster than AWS, and
# listings are one page: the figures against AWS itself are larger.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers redis moto

echo "[bench] building and running the provisioner benchmark..." >&2
install_for provisioner
run_maven provision -pl provisioner test -Dtest=ProvisionBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.runs="${BENCH_RUNS:-5}"
figures
