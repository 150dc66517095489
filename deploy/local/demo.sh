#!/usr/bin/env bash
# The mesh's main job on this machine, from a fresh clone:
#   deploy/local/demo.sh         build, start Redis + PostgreSQL and every mesh service, publish a release
#                                event and show it flowing through the Redis Streams backbone
#   deploy/local/demo.sh stop    stop the services and servers it started
#   deploy/local/demo.sh status  what is running
# Idempotent: running it again reuses what is already up. Ctrl-C while it starts things stops them again.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$REPO"

SERVICES=(coordinator:8080 rollout-service:8081 migration-service:8082 backup-service:8083 monitor-service:8084 provisioner:8085)
RUN_DIR="$MESH_LOCAL_DIR/services"
STARTED_NOW=()
SERVERS_WERE_RUNNING=yes

say() {
    printf '\n\033[1m==> %s\033[0m\n' "$*" >&2
}

service_pid() {
    local pid_file="$RUN_DIR/$1.pid"
    [[ -f $pid_file ]] || return 1
    local pid
    pid="$(cat "$pid_file")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

stop_service() {
    local name=$1 pid
    if pid="$(service_pid "$name")"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        log "stopped $name (pid $pid)"
    fi
    rm -f "$RUN_DIR/$name.pid"
}

stop_everything() {
    for entry in "${SERVICES[@]}"; do
        stop_service "${entry%%:*}"
    done
    "$SCRIPT_DIR/servers.sh" stop all >&2
}

on_interrupt() {
    trap - INT TERM
    log "interrupted: stopping what this run started"
    for name in "${STARTED_NOW[@]}"; do
        stop_service "$name"
    done
    if [[ $SERVERS_WERE_RUNNING == no ]]; then
        "$SCRIPT_DIR/servers.sh" stop all >&2 || true
    fi
    exit 130
}

ready() {
    curl -fsS -o /dev/null "http://127.0.0.1:$1/q/health/ready" 2>/dev/null
}

start_service() {
    local name=$1 port=$2 pid
    if pid="$(service_pid "$name")"; then
        log "$name already running (pid $pid, port $port)"
        return 0
    fi
    if port_open 127.0.0.1 "$port"; then
        die "port $port is taken by another program, so $name cannot start; free it or stop that program"
    fi
    local jar="$REPO/$name/target/quarkus-app/quarkus-run.jar"
    [[ -f $jar ]] || die "$jar is missing; the build did not produce it"
    mkdir -p "$RUN_DIR"
    nohup java -jar "$jar" >"$RUN_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    STARTED_NOW+=("$name")
    log "started $name (pid $!, port $port, log $RUN_DIR/$name.log)"
}

wait_ready() {
    local name=$1 port=$2
    for _ in $(seq 1 120); do
        if ready "$port"; then
            return 0
        fi
        if ! service_pid "$name" >/dev/null; then
            tail -n 30 "$RUN_DIR/$name.log" >&2 || true
            die "$name exited during start; its log is $RUN_DIR/$name.log"
        fi
        sleep 0.5
    done
    curl -sS "http://127.0.0.1:$port/q/health/ready" >&2 || true
    die "$name is not ready after 60 s; its log is $RUN_DIR/$name.log"
}

status() {
    "$SCRIPT_DIR/servers.sh" status all || true
    for entry in "${SERVICES[@]}"; do
        local name=${entry%%:*} port=${entry##*:} pid
        if pid="$(service_pid "$name")"; then
            echo "$name=http://127.0.0.1:$port (pid $pid)"
        else
            echo "$name=stopped"
        fi
    done
}

publish_release() {
    local release_id=$1 event_id=$2
    local data
    data='{"environment":"staging","service":"planning-system","version":"2.4.0",'
    data+='"image":"registry.local/berrys/planning-system:2.4.0","databases":["planning"],'
    data+='"requiresDowntime":false,"requestedBy":"demo.sh"}'
    redis-cli -u "$MESH_REDIS_URL" --no-auth-warning XADD mesh.transitions MAXLEN '~' 100000 '*' \
        specversion 1.0 \
        id "$event_id" \
        source /mesh/demo \
        type mesh.release.published \
        subject staging/planning-system \
        time "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \
        datacontenttype application/json \
        releaseid "$release_id" \
        data "$data"
}

main() {
    command -v java >/dev/null || die "java is not installed (the mesh needs a JDK 17): apt-get install -y openjdk-17-jdk-headless"
    command -v curl >/dev/null || die "curl is not installed: apt-get install -y curl"
    trap on_interrupt INT TERM

    say "1/4 Local servers (Redis with AOF, PostgreSQL)"
    "$SCRIPT_DIR/servers.sh" status all >/dev/null 2>&1 || SERVERS_WERE_RUNNING=no
    "$SCRIPT_DIR/servers.sh" start all
    eval "$("$SCRIPT_DIR/servers.sh" env)"
    export MESH_REDIS_URL MESH_PG_URL MESH_PG_USER MESH_PG_PASSWORD

    # The coordinator's API wants a token; one per machine, kept with the local state, never printed.
    local token_file="$MESH_LOCAL_DIR/api-token"
    if [[ ! -s $token_file ]]; then
        mkdir -p "$MESH_LOCAL_DIR"
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$token_file")
    fi
    MESH_API_TOKEN="$(cat "$token_file")"
    export MESH_API_TOKEN

    say "2/4 Building the services (the first run downloads dependencies: a few minutes)"
    ./mvnw -B -q -DskipTests -Dspotless.check.skip=true package

    say "3/4 Starting the mesh services"
    for entry in "${SERVICES[@]}"; do
        start_service "${entry%%:*}" "${entry##*:}"
    done
    for entry in "${SERVICES[@]}"; do
        wait_ready "${entry%%:*}" "${entry##*:}"
        log "${entry%%:*} is ready on http://127.0.0.1:${entry##*:}"
    done
    trap - INT TERM

    say "4/4 CI publishes a release: planning-system 2.4.0 to staging"
    local release_id event_id entry_id
    release_id="rel-demo-$(date +%s)"
    event_id="$(cat /proc/sys/kernel/random/uuid)"
    entry_id="$(publish_release "$release_id" "$event_id")"
    log "mesh.release.published $event_id written to stream mesh.transitions as entry $entry_id"

    local url="http://127.0.0.1:8080/api/transitions?releaseId=$release_id"
    local body=""
    for _ in $(seq 1 50); do
        body="$(curl -fsS -H "Authorization: Bearer $MESH_API_TOKEN" "$url" || true)"
        [[ $body == *"$event_id"* ]] && break
        sleep 0.2
    done
    [[ $body == *"$event_id"* ]] || die "the coordinator did not report the event within 10 s; see $RUN_DIR/coordinator.log"
    log "the coordinator consumed it (consumer group 'coordinator'); GET $url answers:"
    echo "$body"
    local release_url="http://127.0.0.1:8080/api/releases/$release_id" release=""
    for _ in $(seq 1 50); do
        release="$(curl -fsS -H "Authorization: Bearer $MESH_API_TOKEN" "$release_url" || true)"
        [[ -n $release ]] && break
        sleep 0.2
    done
    [[ -n $release ]] || die "the coordinator did not open release $release_id within 10 s; see $RUN_DIR/coordinator.log"
    log "the coordinator opened release $release_id and triggered its first stage; GET $release_url answers:"
    echo "$release"
    log "coordinator log:"
    grep -F "$event_id" "$RUN_DIR/coordinator.log" | tail -n 1 >&2 || true
    for _ in $(seq 1 50); do
        redis-cli -u "$MESH_REDIS_URL" --no-auth-warning XPENDING mesh.transitions coordinator | head -n 1 | grep -qx 0 && break
        sleep 0.2
    done
    log "consumer groups on mesh.transitions (pending 0 = acknowledged after the handler succeeded):"
    redis-cli -u "$MESH_REDIS_URL" --no-auth-warning XINFO GROUPS mesh.transitions |
        paste - - | grep -E '^(name|pending|lag|entries-read)' | paste - - - - - - - - >&2 || true

    say "Done. The mesh keeps running:"
    for entry in "${SERVICES[@]}"; do
        echo "  ${entry%%:*}: http://127.0.0.1:${entry##*:}  (/q/health/ready, /q/metrics, /q/openapi)" >&2
    done
    echo "  API token:           $MESH_LOCAL_DIR/api-token (admin; the coordinator reads MESH_API_TOKEN)" >&2
    echo "  recent transitions:  curl -H \"Authorization: Bearer \$(cat $MESH_LOCAL_DIR/api-token)\" http://127.0.0.1:8080/api/transitions" >&2
    echo "  releases:            curl -H \"Authorization: Bearer \$(cat $MESH_LOCAL_DIR/api-token)\" http://127.0.0.1:8080/api/releases" >&2
    echo "  backbone metrics:    curl -s http://127.0.0.1:8080/q/metrics | grep mesh_stream" >&2
    echo "  logs:                $RUN_DIR/*.log" >&2
    echo "  note:                the task services are still skeletons: nobody answers $release_id's backup, so" >&2
    echo "                       the coordinator fails it after the start timeout (2 min), naming backup-service" >&2
    echo "  stop everything:     deploy/local/demo.sh stop" >&2
}

case "${1:-start}" in
    start) main ;;
    stop) stop_everything ;;
    status) status ;;
    -h | --help | help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$1' (use: start, stop, status)" ;;
esac
