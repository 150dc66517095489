#!/usr/bin/env bash
# How heavy is each mesh service in JVM mode? Prints key=value lines per service:
#   <service>_startup_s        launch to /q/health/ready, each service started alone
#   <service>_rss_mb           resident memory once ready
#   <service>_rss_after_mb     resident memory after BENCH_RELEASES (20) releases through the whole mesh
# and for the releases: releases, releases_not_succeeded (of those meant to succeed), rolled_back (observed; one is
# meant to be), backups_fully_verified and migrations_run (releases whose backup was restored into a scratch
# database, and whose migration stage ran).
# On the demo's set-up (deploy/local/demo.sh up: local servers, the simulated cluster, Prometheus, Alertmanager)
# with the JVM options the demo uses (MESH_JAVA_OPTS) and each service's class-data-sharing archive, which the demo
# records after a build. The releases take the production path, as the demo's second release does: to production,
# with the platform database (--database main) and the sample migrations (deploy/migrations/platform), approved at
# the gate with `mesh release approve`, backed up with full verification (production's backup-verify), migrated,
# rolled out and verified; the last one of planning-system is broken on the simulated platform (error share 0.5)
# and rolled back by the mesh. Staging releases without databases would leave the backup-service and the
# migration-service idle and the monitor-service without a rollback, so their figures would say little.
# Targets (issue "The main job end to end"): <= 150 MB and <= 2 s each.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
RELEASES="${BENCH_RELEASES:-20}"
LOCAL_DIR="${MESH_LOCAL_DIR:-$ROOT/.mesh-local}"
RUN_DIR="$LOCAL_DIR/services"
SERVICES=(coordinator rollout-service migration-service backup-service monitor-service provisioner)
# The platform services the simulated cluster runs, in both namespaces.
PLATFORM=(agent-orchestrator planning-system model-orchestration tool-integration project-coordinator
    service-integration web-dashboard)
ENVIRONMENT=production
# The demo's service and its way of breaking a release (deploy/local/demo.sh, step 6).
BREAK_SERVICE=planning-system
COORDINATOR=http://127.0.0.1:8080
PLATFORM_ADMIN="http://127.0.0.1:${MESH_DEMO_PLATFORM_PORT:-7070}/admin/error-share"

((RELEASES >= 2)) || {
    echo "[bench] BENCH_RELEASES must be at least 2: one of them is the $BREAK_SERVICE release rolled back" >&2
    exit 2
}

echo "[bench] restarting the mesh services one at a time (deploy/local/demo.sh up)..." >&2
deploy/local/demo.sh stop-services >&2
deploy/local/demo.sh up >&2

rss_mb() {
    local pid
    pid="$(cat "$RUN_DIR/$1.pid")"
    awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"
}

declare -A before
for service in "${SERVICES[@]}"; do
    echo "${service}_startup_s=$(cat "$RUN_DIR/$service.startup")"
    before[$service]="$(rss_mb "$service")"
    echo "${service}_rss_mb=${before[$service]}"
done

export MESH_API_TOKEN
MESH_API_TOKEN="$(cat "$LOCAL_DIR/api-token")"

mesh() {
    java -jar "$ROOT/mesh-cli/target/mesh.jar" "$@"
}

api_get() {
    curl -fsS -H "Authorization: Bearer $MESH_API_TOKEN" "$COORDINATOR$1"
}

# release_summary ID: "<state> <backup status> <full|not-full> <migration status>", from the coordinator's view of
# the release. A full verification's backup message says it restored the backup into a scratch database.
release_summary() {
    api_get "/api/releases/$1" | python3 -c 'import json, sys
release = json.load(sys.stdin)
stages = {stage["task"]: stage for stage in release.get("stages") or []}
backup, migration = stages.get("backup") or {}, stages.get("migration") or {}
full = "full" if "restored into a scratch database" in (backup.get("message") or "") else "not-full"
print(release["state"], backup.get("status") or "NONE", full, migration.get("status") or "NONE")'
}

# release_one N SERVICE VERSION BROKEN: one release to production as the demo's second one, approved at the gate;
# with BROKEN=yes its new version fails half its requests once traffic moves to it. Writes the outcome (the line of
# release_summary) to $RUN_DIR/footprint-release-N.outcome; the CLI's output goes to footprint-release-N.log.
# Every test is an if: under set -e a function whose last command is a false `[[ ]] && ...` would fail.
release_one() {
    local service=$2 version=$3 broken=$4 line id state outcome="$RUN_DIR/footprint-release-$1.outcome"
    echo "UNPUBLISHED NONE not-full NONE" >"$outcome"
    line="$(mesh release publish --env "$ENVIRONMENT" --service "$service" --version "$version" \
        --image "registry.local/berrys/$service:$version" --database main \
        --migrations "$ROOT/deploy/migrations/platform")" || return 1
    echo "$line"
    id="${line%%:*}"
    # "<id>: <service> <version> to <env> (<state>)": the gate holds a release that got the slot at once; one
    # queued behind a leftover gets there later.
    state="${line##*(}"
    state="${state%)}"
    for _ in $(seq 1 2400); do
        if [[ $state =~ ^(WAITING_APPROVAL|SUCCEEDED|FAILED|ROLLED_BACK|ABORTED)$ ]]; then
            break
        fi
        sleep 0.5
        state="$(release_summary "$id" | cut -d' ' -f1)" || state=""
    done
    if [[ $state == WAITING_APPROVAL ]]; then
        mesh release approve "$id" --reason "bench/footprint.sh: approved" || true
    fi
    if [[ $broken == yes ]]; then
        # As the demo: once traffic starts moving to the new version, its pods fail half their requests.
        local seen
        for _ in $(seq 1 1200); do
            seen="$(api_get "/api/transitions?releaseId=$id&limit=500" 2>/dev/null || true)"
            if [[ $seen == *'"step":"traffic-'* ]]; then
                break
            fi
            if [[ "$(release_summary "$id" | cut -d' ' -f1)" != RUNNING ]]; then
                break
            fi
            sleep 1
        done
        curl -fsS -X POST "$PLATFORM_ADMIN?environment=$ENVIRONMENT&service=$service&share=0.5" || true
    fi
    mesh release status "$id" --wait --timeout PT20M || true
    if [[ $broken == yes ]]; then
        curl -fsS -X POST "$PLATFORM_ADMIN?environment=$ENVIRONMENT&service=$service&share=0" >/dev/null || true
    fi
    release_summary "$id" >"$outcome" || echo "UNKNOWN NONE not-full NONE" >"$outcome"
}

# Releases an interrupted earlier run (of this or the demo) left waiting or queued in production hold or queue for
# the slots of these services, and this run's releases would wait behind them.
for state in WAITING_APPROVAL WAITING_WINDOW QUEUED; do
    mesh release list --env "$ENVIRONMENT" --state "$state" --size 200 | awk 'NR > 1 { print $1, $3 }' |
        while read -r id service; do
            if [[ " ${PLATFORM[*]} " != *" $service "* ]]; then
                continue
            fi
            echo "[bench] aborting $id ($service, $state in $ENVIRONMENT), left over from an earlier run" >&2
            # stdin is the list being read; the CLI gets none of it.
            mesh release abort "$id" --reason "bench/footprint.sh: left over from an earlier run" </dev/null >&2 ||
                true
        done
done
# And errors left switched on by an interrupted run would fail the first release of that service.
curl -fsS -X POST "$PLATFORM_ADMIN?environment=$ENVIRONMENT&service=$BREAK_SERVICE&share=0" >/dev/null || {
    echo "[bench] the simulated platform ($PLATFORM_ADMIN) does not answer; see $RUN_DIR/local-cluster.log" >&2
    exit 1
}

# The release rolled back is the last one of BREAK_SERVICE: no later release of it meets the errors still in
# Prometheus's window or the monitor-service's cooldown.
break_at=0
for ((n = 1; n <= RELEASES; n++)); do
    if [[ ${PLATFORM[$(((n - 1) % ${#PLATFORM[@]}))]} == "$BREAK_SERVICE" ]]; then
        break_at=$n
    fi
done

echo "[bench] $RELEASES releases to $ENVIRONMENT with the platform database and its migrations, one per platform" \
    "service at a time (several at once); release $break_at ($BREAK_SERVICE) is broken and rolled back..." >&2
stamp="$(date +%H%M%S)"
published=0
# In rounds: a second release of a service while one holds the slot would queue behind it, and one queued
# supersedes the one before it (by design); it would not add a release.
while ((published < RELEASES)); do
    pids=()
    for service in "${PLATFORM[@]}"; do
        ((published < RELEASES)) || break
        published=$((published + 1))
        broken=no
        if ((published == break_at)); then
            broken=yes
        fi
        release_one "$published" "$service" "3.$stamp.$published" "$broken" \
            >"$RUN_DIR/footprint-release-$published.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || true
    done
    echo "[bench] $published of $RELEASES releases done" >&2
done

not_succeeded=0
rolled_back=0
fully_verified=0
migrated=0
for ((n = 1; n <= RELEASES; n++)); do
    read -r state backup full migration <"$RUN_DIR/footprint-release-$n.outcome"
    if ((n != break_at)) && [[ $state != SUCCEEDED ]]; then
        not_succeeded=$((not_succeeded + 1))
        echo "[bench] release $n ended $state (backup $backup, $full verification, migration $migration); see" \
            "$RUN_DIR/footprint-release-$n.log" >&2
    fi
    if ((n == break_at)) && [[ $state != ROLLED_BACK ]]; then
        echo "[bench] release $n, meant to be rolled back, ended $state; see $RUN_DIR/footprint-release-$n.log" >&2
    fi
    if [[ $state == ROLLED_BACK ]]; then
        rolled_back=$((rolled_back + 1))
    fi
    if [[ $full == full ]]; then
        fully_verified=$((fully_verified + 1))
    fi
    if [[ $migration == PASSED || $migration == WARNED ]]; then
        migrated=$((migrated + 1))
    fi
done
echo "releases=$RELEASES"
echo "releases_not_succeeded=$not_succeeded"
echo "rolled_back=$rolled_back"
echo "backups_fully_verified=$fully_verified"
echo "migrations_run=$migrated"
for service in "${SERVICES[@]}"; do
    echo "${service}_rss_after_mb=$(rss_mb "$service")"
done
