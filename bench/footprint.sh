#!/usr/bin/env bash
# How heavy is each mesh service in JVM mode? Prints key=value lines per service:
#   <service>_startup_s        launch to /q/health/ready, each service started alone
#   <service>_rss_mb           resident memory once ready
#   <service>_rss_after_mb     resident memory after BENCH_RELEASES (20) releases through the whole mesh
# on the demo's set-up (deploy/local/demo.sh up: local servers, the simulated cluster, Prometheus, Alertmanager)
# with the JVM options the demo uses (MESH_JAVA_OPTS) and each service's class-data-sharing archive, which the demo
# records after a build. Targets (issue "The main job end to end"): <= 150 MB and <= 2 s each.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
RELEASES="${BENCH_RELEASES:-20}"
RUN_DIR="${MESH_LOCAL_DIR:-$ROOT/.mesh-local}/services"
SERVICES=(coordinator rollout-service migration-service backup-service monitor-service provisioner)
STAGING=(agent-orchestrator planning-system model-orchestration tool-integration project-coordinator service-integration web-dashboard)

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

echo "[bench] $RELEASES releases through the mesh, one per staging service at a time (several at once)..." >&2
export MESH_API_TOKEN
MESH_API_TOKEN="$(cat "${MESH_LOCAL_DIR:-$ROOT/.mesh-local}/api-token")"
stamp="$(date +%H%M%S)"
failed=0
published=0
# In rounds: a second release of a service while one is queued would supersede it (by design), not add a release.
while ((published < RELEASES)); do
    pids=()
    for service in "${STAGING[@]}"; do
        ((published < RELEASES)) || break
        published=$((published + 1))
        java -jar mesh-cli/target/mesh.jar release publish --env staging --service "$service" \
            --version "3.$stamp.$published" --image "registry.local/berrys/$service:3.$stamp.$published" \
            --wait --timeout PT20M >"$RUN_DIR/footprint-release-$published.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=$((failed + 1))
    done
    echo "[bench] $published of $RELEASES releases done" >&2
done
echo "releases=$RELEASES"
echo "releases_not_succeeded=$failed"
for service in "${SERVICES[@]}"; do
    echo "${service}_rss_after_mb=$(rss_mb "$service")"
done
