#!/usr/bin/env bash
# The mesh's main job on this machine, from a fresh clone:
#   deploy/local/demo.sh         build; start Redis, PostgreSQL, moto, a simulated Kubernetes cluster, Prometheus,
#                                Alertmanager and every mesh service; provision staging and production on this
#                                machine through the provisioner (plan, apply, a drift made by hand); then release
#                                the Berrys platform twice:
#                                one release with a migration that goes live, one that breaks in production and
#                                is rolled back by an alert, without a human
#   deploy/local/demo.sh up      the same set-up without the releases (bench/footprint.sh uses it)
#   deploy/local/demo.sh down    stop what 'up' started but the local servers (the cluster, monitoring, services)
#   deploy/local/demo.sh stop    stop everything it started
#   deploy/local/demo.sh stop-services   stop the mesh services only
#   deploy/local/demo.sh status  what is running
# Idempotent: running it again reuses what is already up. Ctrl-C while it starts things stops them again.
# Without a cluster of your own, Kubernetes is a SIMULATION (fabric8's mock API server and a kubelet simulator);
# every message about it says so.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$REPO"

SERVICES=(coordinator:8080 rollout-service:8081 migration-service:8082 backup-service:8083 monitor-service:8084 provisioner:8085)
RUN_DIR="$MESH_LOCAL_DIR/services"
DEMO_DIR="$MESH_LOCAL_DIR/demo"
CLUSTER_API_PORT="${MESH_DEMO_CLUSTER_PORT:-6443}"
PLATFORM_PORT="${MESH_DEMO_PLATFORM_PORT:-7070}"
PROMETHEUS_PORT="${MESH_DEMO_PROMETHEUS_PORT:-9090}"
ALERTMANAGER_PORT="${MESH_DEMO_ALERTMANAGER_PORT:-9093}"
# The first release goes live in staging; the second goes to production, where it breaks.
ENVIRONMENT=staging
BREAKING_ENVIRONMENT=production
SERVICE=planning-system
# JVM options of every mesh service: a small heap kept close to what is live (the free ratios) with a small young
# generation, starting at 32 MB so the start-up does not grow it through a full collection at a time, the serial
# collector, and the C1 compiler only, compiling what runs often rather than all the start-up
# code (less memory and a quicker start; these services wait on Redis, PostgreSQL and the Kubernetes API, not on
# the CPU). Reflection stays on JDK 17's native accessors instead of generating a class for each method Jackson
# calls. See bench/footprint.sh for what they use; override to experiment. Tests that start a packaged service use
# the same list (mesh-events' MeshJvmOptions; MeshJvmOptionsTest keeps the two equal).
MESH_JAVA_OPTS="${MESH_JAVA_OPTS:--XX:+UseSerialGC -Xms32m -Xmx64m -XX:MaxNewSize=4m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:MaxMetaspaceSize=128m -Xss256k -XX:ReservedCodeCacheSize=32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=5 -Dsun.reflect.inflationThreshold=2147483647 -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1}"
STARTED_NOW=()
RECORDING_PID=""
BUILD_FINGERPRINT="$REPO/target/demo-build.fingerprint"
SERVERS_WERE_RUNNING=yes

say() {
    printf '\n\033[1m==> %s\033[0m\n' "$*" >&2
}

pid_of() {
    local pid_file="$RUN_DIR/$1.pid"
    [[ -f $pid_file ]] || return 1
    local pid
    pid="$(cat "$pid_file")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

stop_process() {
    local name=$1 pid
    if pid="$(pid_of "$name")"; then
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

all_processes() {
    for entry in "${SERVICES[@]}"; do
        echo "${entry%%:*}"
    done
    echo alertmanager prometheus local-cluster
}

# Everything but the local servers: the cluster, monitoring and the services.
stop_processes() {
    for name in $(all_processes); do
        stop_process "$name"
    done
}

stop_everything() {
    stop_processes
    "$SCRIPT_DIR/servers.sh" stop all >&2
}

on_interrupt() {
    trap - INT TERM
    log "interrupted: stopping what this run started"
    [[ -z $RECORDING_PID ]] || kill "$RECORDING_PID" 2>/dev/null || true
    for name in "${STARTED_NOW[@]}"; do
        stop_process "$name"
    done
    if [[ $SERVERS_WERE_RUNNING == no ]]; then
        "$SCRIPT_DIR/servers.sh" stop all >&2 || true
    fi
    exit 130
}

# start_process NAME PORT COMMAND...: in the background, logging to $RUN_DIR/NAME.log; reused when running.
start_process() {
    local name=$1 port=$2 pid
    shift 2
    if pid="$(pid_of "$name")"; then
        log "$name already running (pid $pid, port $port)"
        return 0
    fi
    if port_open 127.0.0.1 "$port"; then
        die "port $port is taken by another program, so $name cannot start; free it or stop that program"
    fi
    mkdir -p "$RUN_DIR"
    nohup "$@" >"$RUN_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    STARTED_NOW+=("$name")
    log "started $name (pid $!, port $port, log $RUN_DIR/$name.log)"
}

# wait_http NAME URL: until URL answers 2xx, or die with the end of NAME's log.
wait_http() {
    local name=$1 url=$2 pid
    pid="$(pid_of "$name" || true)"
    case "$(until_answers "$url" "$pid")" in
        answered) return 0 ;;
        exited)
            tail -n 30 "$RUN_DIR/$name.log" >&2 || true
            die "$name exited during start; its log is $RUN_DIR/$name.log"
            ;;
        *) die "$name did not answer $url within 90 s; its log is $RUN_DIR/$name.log" ;;
    esac
}

# until_answers URL PID: polls URL for a 2xx for up to 90 s while process PID lives; prints answered, exited or
# silent.
until_answers() {
    local url=$1 pid=$2
    for _ in $(seq 1 900); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then
            echo answered
            return
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo exited
            return
        fi
        sleep 0.1
    done
    echo silent
}

status() {
    "$SCRIPT_DIR/servers.sh" status all || true
    for name in $(all_processes); do
        local pid
        if pid="$(pid_of "$name")"; then
            echo "$name=running (pid $pid)"
        else
            echo "$name=stopped"
        fi
    done
}

# The platform's database, which releases back up and migrate as the logical database "main".
ensure_platform_database() {
    local exists
    exists="$(PGPASSWORD="$MESH_PG_PASSWORD" psql -h "$MESH_PG_HOST" -p "$MESH_PG_PORT" -U "$MESH_PG_USER" \
        -d "$MESH_PG_DB" -tAc "select 1 from pg_database where datname = 'berrys'")"
    if [[ $exists != 1 ]]; then
        PGPASSWORD="$MESH_PG_PASSWORD" psql -q -h "$MESH_PG_HOST" -p "$MESH_PG_PORT" -U "$MESH_PG_USER" \
            -d "$MESH_PG_DB" -c "create database berrys"
        log "created the platform database 'berrys'"
    fi
}

# Prometheus and Alertmanager for the demo: the project's platform rules with their windows cut to seconds, so the
# second release's errors fire an alert within a demo's patience; Alertmanager calls the monitor-service.
start_monitoring() {
    mkdir -p "$DEMO_DIR"
    sed -e 's/\[5m\]/[20s]/g' -e 's/for: [0-9]*m/for: 5s/' deploy/monitoring/rules/platform.rules.yml \
        >"$DEMO_DIR/platform.rules.yml"
    cat >"$DEMO_DIR/prometheus.yml" <<EOF
# Written by deploy/local/demo.sh: the platform rules with demo windows, the simulated platform pods, the mesh.
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files: ["$DEMO_DIR/platform.rules.yml"]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$ALERTMANAGER_PORT"]
scrape_configs:
  - job_name: platform-simulated
    static_configs:
      - targets: ["127.0.0.1:$PLATFORM_PORT"]
  - job_name: berrys-deploy-mesh
    metrics_path: /q/metrics
    static_configs:
      - targets: ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083", "127.0.0.1:8084"]
EOF
    cat >"$DEMO_DIR/alertmanager.yml" <<EOF
# Written by deploy/local/demo.sh: every alert to the monitor-service's webhook, at once.
route:
  receiver: mesh-monitor
  group_by: [alertname, environment, service]
  group_wait: 0s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: mesh-monitor
    webhook_configs:
      - url: http://127.0.0.1:8084/api/alerts
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: $MESH_LOCAL_DIR/alert-token
EOF
    start_process prometheus "$PROMETHEUS_PORT" prometheus --config.file="$DEMO_DIR/prometheus.yml" \
        --storage.tsdb.path="$DEMO_DIR/prometheus-data" --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
    start_process alertmanager "$ALERTMANAGER_PORT" prometheus-alertmanager \
        --config.file="$DEMO_DIR/alertmanager.yml" --storage.path="$DEMO_DIR/alertmanager-data" \
        --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address=
    wait_http prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
    wait_http alertmanager "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready"
}

start_cluster() {
    local jar
    jar="$(compgen -G "$REPO/local-cluster/target/local-cluster-*-runnable.jar" | head -n 1 || true)"
    [[ -n $jar ]] || die "local-cluster/target/local-cluster-*-runnable.jar is missing; the build did not produce it"
    local -a manifests=()
    if ! pid_of local-cluster >/dev/null; then
        local kustomize environment
        kustomize="$("$SCRIPT_DIR/kustomize.sh" optional)"
        if [[ -n $kustomize ]]; then
            mkdir -p "$DEMO_DIR"
            for environment in staging production; do
                "$kustomize" build "$REPO/deploy/kubernetes/platform/overlays/$environment" \
                    >"$DEMO_DIR/platform-$environment.yaml" ||
                    die "kustomize could not render deploy/kubernetes/platform/overlays/$environment (see above)"
                manifests+=(--manifests "$DEMO_DIR/platform-$environment.yaml")
            done
            log "rendered the platform's staging and production overlays with kustomize into $DEMO_DIR"
        else
            log "WARNING: so the platform's base goes to both namespaces, without the overlays' labels and configuration"
            # shellcheck disable=SC2054  # one argument: the namespaces, comma-separated
            manifests=(--manifests "$REPO/deploy/kubernetes/platform/base" --namespaces staging,production)
        fi
    fi
    start_process local-cluster "$CLUSTER_API_PORT" java -jar "$jar" --api-port "$CLUSTER_API_PORT" \
        --platform-port "$PLATFORM_PORT" "${manifests[@]}"
    for _ in $(seq 1 120); do
        grep -q '^api_url=' "$RUN_DIR/local-cluster.log" 2>/dev/null && break
        pid_of local-cluster >/dev/null || { tail -n 30 "$RUN_DIR/local-cluster.log" >&2; die "the simulated cluster did not start"; }
        sleep 0.5
    done
    grep '^\[local-cluster\]' "$RUN_DIR/local-cluster.log" >&2 || true
}

# cpu_busy_percent: how busy all CPUs were over the next half second, from /proc/stat.
cpu_busy_percent() {
    local -a first second
    read -ra first < <(grep '^cpu ' /proc/stat)
    sleep 0.5
    read -ra second < <(grep '^cpu ' /proc/stat)
    awk -v a="${first[*]:1}" -v b="${second[*]:1}" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) { total += y[i] - x[i]; if (i == 4 || i == 5) idle += y[i] - x[i] }
        printf "%d\n", (total > 0 ? 100 * (total - idle) / total : 0)
    }'
}

# wait_quiet: until the machine is mostly idle (a JVM just started, Prometheus replaying its WAL), at most 20 s, so
# the next start is timed on its own and not against someone else's warm-up.
wait_quiet() {
    local busy
    for _ in $(seq 1 40); do
        busy="$(cpu_busy_percent)"
        ((busy < 25)) && return 0
    done
    log "the machine is still ${busy}% busy; starting anyway"
}

# source_fingerprint: what a build is made of, by content: the commit, the uncommitted changes and the untracked
# files. Nothing (and a rebuild every time) outside a git checkout.
source_fingerprint() {
    git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
    {
        git -C "$REPO" rev-parse HEAD
        git -C "$REPO" diff HEAD --binary
        (cd "$REPO" && git ls-files --others --exclude-standard -z | xargs -0 -r sha256sum)
    } | sha256sum | cut -d' ' -f1
}

# build_is_current FINGERPRINT: the last build was of exactly these sources and every artefact the demo runs is
# there. Rebuilding would also make every service record its class archive again.
build_is_current() {
    local fingerprint=$1 entry
    [[ -n $fingerprint && -f $BUILD_FINGERPRINT && "$(cat "$BUILD_FINGERPRINT")" == "$fingerprint" ]] || return 1
    for entry in "${SERVICES[@]}"; do
        [[ -f $REPO/${entry%%:*}/target/quarkus-app/quarkus-run.jar ]] || return 1
    done
    [[ -f $REPO/mesh-cli/target/mesh.jar ]] || return 1
    compgen -G "$REPO/local-cluster/target/local-cluster-*-runnable.jar" >/dev/null
}

# record_class_archive NAME PORT JAR OPTION...: once per build, one start and stop of NAME with
# -XX:ArchiveClassesAtExit, so its later starts map the classes it loaded instead of loading and verifying them
# again (about half its start time). A missing or stale archive is only slower: the JVM then starts without it.
record_class_archive() {
    local name=$1 port=$2 jar=$3
    shift 3
    local app_dir="${jar%/*}"
    local archive="$app_dir/app-cds.jsa"
    if [[ -s $archive && -z "$(find "$app_dir" -name '*.jar' -newer "$archive" -print -quit)" ]]; then
        return 0
    fi
    rm -f "$archive" "$archive.recording"
    if port_open 127.0.0.1 "$port"; then
        log "WARNING: port $port is taken, so $name records no class archive and starts without one"
        return 0
    fi
    log "$name: recording its class-data-sharing archive (once per build: one start and stop)"
    # shellcheck disable=SC2086  # MESH_JAVA_OPTS is a list of options
    java $MESH_JAVA_OPTS "$@" -XX:ArchiveClassesAtExit="$archive.recording" -jar "$jar" \
        >"$RUN_DIR/$name.archive.log" 2>&1 &
    RECORDING_PID=$!
    local ready
    ready="$(until_answers "http://127.0.0.1:$port/q/health/ready" "$RECORDING_PID")"
    kill "$RECORDING_PID" 2>/dev/null || true
    wait "$RECORDING_PID" 2>/dev/null || true
    RECORDING_PID=""
    # An archive of a start that never got ready would hold only part of the classes, for the rest of this build.
    if [[ $ready == answered && -s $archive.recording ]]; then
        mv "$archive.recording" "$archive"
        # Written out now, not while the start that maps it is being timed.
        sync "$archive"
        log "$name: class archive $archive ($(du -m "$archive" | cut -f1) MB)"
    else
        rm -f "$archive.recording"
        log "WARNING: $name recorded no class archive (see $RUN_DIR/$name.archive.log); it starts without one"
    fi
}

# service_redis_account NAME: the environment NAME reaches Redis with, as in production: over TLS when the Redis
# offers it, as its own ACL user (deploy/redis/users.acl) when its password is known; the admin's otherwise.
service_redis_account() {
    local name=$1
    export MESH_REDIS_URL="${MESH_REDIS_TLS_URL:-$ADMIN_REDIS_URL}"
    if [[ -n ${MESH_REDIS_SECRETS:-} && -s $MESH_REDIS_SECRETS/$name ]]; then
        export MESH_REDIS_USER=$name
        MESH_REDIS_PASSWORD="$(cat "$MESH_REDIS_SECRETS/$name")"
        export MESH_REDIS_PASSWORD
    else
        log "WARNING: no Redis password for the user $name (MESH_REDIS_SECRETS); it connects as the admin"
        admin_redis_account
        export MESH_REDIS_URL="${MESH_REDIS_TLS_URL:-$ADMIN_REDIS_URL}"
    fi
}

admin_redis_account() {
    export MESH_REDIS_URL="$ADMIN_REDIS_URL" MESH_REDIS_PASSWORD="$ADMIN_REDIS_PASSWORD"
    if [[ -n $ADMIN_REDIS_USER ]]; then
        export MESH_REDIS_USER="$ADMIN_REDIS_USER"
    else
        unset MESH_REDIS_USER
    fi
}

start_services() {
    local api="http://127.0.0.1:$CLUSTER_API_PORT" platform="http://127.0.0.1:$PLATFORM_PORT"
    for entry in "${SERVICES[@]}"; do
        local name=${entry%%:*} port=${entry##*:} jar
        jar="$REPO/$name/target/quarkus-app/quarkus-run.jar"
        [[ -f $jar ]] || die "$jar is missing; the build did not produce it"
        service_redis_account "$name"
        local -a options=()
        case $name in
            rollout-service)
                # The simulated cluster through fabric8's own setting (quarkus.kubernetes-client.api-server-url works
                # too, with a warning that it was fixed at build time); traffic in steps through the platform's
                # HTTPRoutes, with pauses a person can follow.
                options=(-Dkubernetes.master="$api" -Dmesh.rollout.router=gateway
                    -Dmesh.rollout.smoke.base-url="$platform/{service}" -Dmesh.rollout.step-pause=PT10S
                    -Dmesh.rollout.bake.duration=PT5S -Dmesh.rollout.poll-interval=PT0.5S)
                ;;
            provisioner)
                # The demo's environments are this machine's (provider: local): namespaces and Secrets in the
                # simulated cluster, databases in the local PostgreSQL, buckets in moto's S3.
                options=(-Dkubernetes.master="$api" -Dmesh.provisioner.environments="$REPO/deploy/local/environments")
                ;;
            monitor-service)
                # A short cooldown, so running the demo again soon after still shows an alert-driven rollback.
                # The simulated pods have no latency histogram and no kube-state-metrics: both environments check
                # the error rate only.
                options=(-Dmesh.monitor.environments.staging.checks=error-rate
                    -Dmesh.monitor.environments.production.checks=error-rate -Dmesh.monitor.verification.bake=PT8S
                    -Dmesh.monitor.verification.interval=PT2S -Dmesh.monitor.cooldown=PT30S)
                ;;
        esac
        # One at a time on a quiet machine: each start is timed alone (launch to ready), not against five others
        # for two cores or the warm-up of the one before.
        if ! pid_of "$name" >/dev/null; then
            record_class_archive "$name" "$port" "$jar" "${options[@]}"
            wait_quiet
        fi
        local -a sharing=()
        local archive="${jar%/*}/app-cds.jsa"
        [[ -s $archive ]] && sharing=(-XX:SharedArchiveFile="$archive")
        local started_ns
        started_ns="$(date +%s%N)"
        # shellcheck disable=SC2086  # MESH_JAVA_OPTS is a list of options
        start_process "$name" "$port" java $MESH_JAVA_OPTS "${sharing[@]}" "${options[@]}" -jar "$jar"
        wait_http "$name" "http://127.0.0.1:$port/q/health/ready"
        if [[ " ${STARTED_NOW[*]} " == *" $name "* ]]; then
            awk -v ns="$(($(date +%s%N) - started_ns))" 'BEGIN { printf "%.2f\n", ns / 1e9 }' >"$RUN_DIR/$name.startup"
        fi
        log "$name is ready on http://127.0.0.1:$port"
    done
    admin_redis_account
}

stop_services() {
    for entry in "${SERVICES[@]}"; do
        stop_process "${entry%%:*}"
    done
}

mesh() {
    java -jar "$REPO/mesh-cli/target/mesh.jar" "$@"
}

api_get() {
    curl -fsS -H "Authorization: Bearer $MESH_API_TOKEN" "http://127.0.0.1:8080$1"
}

# json_field JSON PATH...: a field of a JSON document (python3, which the machine has for moto).
json_field() {
    python3 -c 'import json,sys
value = json.loads(sys.argv[1])
for key in sys.argv[2:]:
    value = value[int(key)] if isinstance(value, list) else value.get(key)
    if value is None:
        break
print("" if value is None else value)' "$@"
}

# The milliseconds from the monitor-service writing the rollback (the moment the alert reached the mesh) to the
# rollout-service reporting traffic back on blue, from the two events on the streams.
alert_to_restore_ms() {
    local release_id=$1
    python3 - "$release_id" "$MESH_REDIS_URL" <<'EOF'
import json, os, subprocess, sys
from datetime import datetime
release, url = sys.argv[1], sys.argv[2]
def entries(stream):
    out = subprocess.run(["redis-cli", "-u", url, "--no-auth-warning", "--json", "XRANGE", stream, "-", "+"],
                         capture_output=True, text=True,
                         env=dict(os.environ, REDISCLI_AUTH=os.environ.get("MESH_REDIS_PASSWORD", ""))).stdout
    try:
        rows = json.loads(out)
    except ValueError:
        return []
    result = []
    for row in rows:
        fields = row[1]
        result.append(dict(zip(fields[0::2], fields[1::2])))
    return result
def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
triggered = [e for e in entries("mesh.priority") if e.get("releaseid") == release and e.get("source") == "/mesh/monitor-service"]
# Whichever rollback of the release sent traffic back says when (a second one finds it done already).
restored = [json.loads(e["data"])["details"].get("trafficRestoredAt") for e in entries("mesh.transitions")
            if e.get("type") == "mesh.rollback.finished" and e.get("releaseid") == release]
restored = [r for r in restored if r]
if not triggered or not restored:
    print("")
    sys.exit(0)
print(round((when(min(restored)) - when(triggered[0]["time"])).total_seconds() * 1000))
EOF
}

# Everything the releases need: servers, the build, the simulated cluster, monitoring, the services.
up() {
    command -v java >/dev/null || die "java is not installed (the mesh needs a JDK 17): apt-get install -y openjdk-17-jdk-headless"
    command -v curl >/dev/null || die "curl is not installed: apt-get install -y curl"
    trap on_interrupt INT TERM

    say "1/7 Local servers: Redis (AOF), PostgreSQL, the moto server for S3 and RDS"
    "$SCRIPT_DIR/servers.sh" status all >/dev/null 2>&1 || SERVERS_WERE_RUNNING=no
    "$SCRIPT_DIR/servers.sh" start all
    eval "$("$SCRIPT_DIR/servers.sh" env)"
    ADMIN_REDIS_URL=$MESH_REDIS_URL
    ADMIN_REDIS_PASSWORD=${MESH_REDIS_PASSWORD:-}
    ADMIN_REDIS_USER=${MESH_REDIS_USER:-}
    export MESH_REDIS_URL MESH_PG_URL MESH_PG_HOST MESH_PG_PORT MESH_PG_DB MESH_PG_USER MESH_PG_PASSWORD
    export MESH_AWS_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    ensure_platform_database

    # Tokens: one per machine, kept with the local state, never printed.
    local name
    for name in api-token alert-token; do
        if [[ ! -s $MESH_LOCAL_DIR/$name ]]; then
            mkdir -p "$MESH_LOCAL_DIR"
            (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$MESH_LOCAL_DIR/$name")
        fi
    done
    MESH_API_TOKEN="$(cat "$MESH_LOCAL_DIR/api-token")"
    MESH_ALERT_TOKEN="$(cat "$MESH_LOCAL_DIR/alert-token")"
    MESH_PROMETHEUS_URL="http://127.0.0.1:$PROMETHEUS_PORT"
    export MESH_API_TOKEN MESH_ALERT_TOKEN MESH_PROMETHEUS_URL

    say "2/7 Building the mesh (the first run downloads dependencies: a few minutes)"
    # Taken before the build, so a file changed while it runs still counts as changed next time.
    local fingerprint
    fingerprint="$(source_fingerprint)"
    if build_is_current "$fingerprint"; then
        log "the sources are those of the last build; using it (and the services' class archives)"
    else
        rm -f "$BUILD_FINGERPRINT"
        ./mvnw -B -q -DskipTests -Dspotless.check.skip=true package
        if [[ -n $fingerprint ]]; then
            mkdir -p "$(dirname "$BUILD_FINGERPRINT")"
            echo "$fingerprint" >"$BUILD_FINGERPRINT"
        fi
    fi

    say "3/7 A SIMULATED Kubernetes cluster with the platform's manifests applied, Prometheus and Alertmanager"
    start_cluster
    start_monitoring

    say "4/7 Starting the mesh services"
    start_services
    trap - INT TERM
}

# abort_leftovers ENVIRONMENT: releases of the demo's service that an interrupted run left waiting (for approval,
# a window, or in the queue) hold or queue for its slot, and this run's release would wait behind them.
abort_leftovers() {
    local environment=$1 state id
    for state in WAITING_APPROVAL WAITING_WINDOW QUEUED; do
        for id in $(mesh release list --env "$environment" --service "$SERVICE" --state "$state" --size 200 |
            awk 'NR > 1 { print $1 }'); do
            log "aborting $id ($state in $environment), left over from an earlier run"
            mesh release abort "$id" --reason "demo: left over from an earlier run" >&2 ||
                log "WARNING: could not abort $id; see mesh release status $id"
        done
    done
}

# mesh_env [--quiet] ACTION ENVIRONMENT...: the mesh CLI's env command, whose exit code is Terraform's detailed one:
# 0 nothing to do, 2 changes (or drift). Prints the code; dies on anything else (1 a failed run, or the CLI itself
# failing). --quiet keeps the CLI's own lines off the terminal, never this function's errors.
mesh_env() {
    local code=0 quiet=no
    if [[ $1 == --quiet ]]; then
        quiet=yes
        shift
    fi
    if [[ $quiet == yes ]]; then
        mesh env "$@" >/dev/null 2>&1 || code=$?
    else
        mesh env "$@" >&2 || code=$?
    fi
    ((code == 0 || code == 2)) ||
        die "mesh env $* ended with exit code $code; see the lines above and $RUN_DIR/provisioner.log"
    echo "$code"
}

# provision_environments: staging and production from their specs in deploy/local/environments, planned then
# applied; then a change made by hand to staging's database, which the drift check names.
provision_environments() {
    local environment code database
    say "5/7 The provisioner builds staging and production from deploy/local/environments (provider: local)"
    log "a namespace and Secrets in the cluster, a database and its role in PostgreSQL, buckets in S3; found again by their tags, no state file"
    for environment in staging production; do
        code="$(mesh_env plan "$environment")"
        if ((code == 0)); then
            log "$environment is as its spec says (an earlier run made it); the apply has nothing to do"
        fi
        mesh_env apply "$environment" >/dev/null
        code="$(mesh_env --quiet plan "$environment")"
        ((code == 0)) || die "a plan of $environment right after its apply is not empty; see mesh env plan $environment"
    done
    database="berrys_$ENVIRONMENT"
    log "someone lowers $database's connection limit by hand, outside the mesh: ALTER DATABASE $database CONNECTION LIMIT 5"
    PGPASSWORD="${MESH_PROVISIONER_PG_PASSWORD:-mesh_provisioner}" psql -q -h "$MESH_PG_HOST" -p "$MESH_PG_PORT" \
        -U "${MESH_PROVISIONER_PG_USER:-mesh_provisioner}" -d postgres -c "ALTER DATABASE $database CONNECTION LIMIT 5" >&2
    code="$(mesh_env drift "$ENVIRONMENT")"
    ((code == 2)) || die "the drift check of $ENVIRONMENT did not report the change made by hand"
    log "drift is reported, never repaired unless the spec's drift policy says so; an apply puts it back"
    mesh_env apply "$ENVIRONMENT" >/dev/null
    code="$(mesh_env --quiet drift "$ENVIRONMENT")"
    ((code == 0)) || die "$ENVIRONMENT still drifts after the apply; see mesh env drift $ENVIRONMENT"
}

main() {
    up
    abort_leftovers "$ENVIRONMENT"
    abort_leftovers "$BREAKING_ENVIRONMENT"

    local stamp first second
    provision_environments

    stamp="$(date +%H%M%S)"
    first="2.4.$stamp"
    second="2.5.$stamp"
    say "6/7 CI publishes $SERVICE $first to $ENVIRONMENT, with a database migration, and waits for it"
    log "backup (verified) -> migration (linted, Flyway) -> rollout (green, smoke tests, traffic steps) -> verification (Prometheus) -> decommission"
    mesh release publish --env "$ENVIRONMENT" --service "$SERVICE" --version "$first" \
        --image "registry.local/berrys/$SERVICE:$first" --database main \
        --migrations "$REPO/deploy/migrations/platform" --wait --timeout PT15M ||
        die "the first release did not succeed; see mesh release list and $RUN_DIR/*.log"

    say "7/7 CI publishes $second to $BREAKING_ENVIRONMENT; it breaks there and the mesh rolls it back on its own"
    local line release_id state=""
    line="$(mesh release publish --env "$BREAKING_ENVIRONMENT" --service "$SERVICE" --version "$second" \
        --image "registry.local/berrys/$SERVICE:$second" --database main \
        --migrations "$REPO/deploy/migrations/platform")"
    release_id="${line%%:*}"
    log "published: $line"
    log "$BREAKING_ENVIRONMENT's pipeline has an approval gate; the on-call engineer approves with the mesh CLI"
    mesh release approve "$release_id" --reason "demo: approved by the on-call engineer" >&2 ||
        die "the approval of $release_id was refused; see $RUN_DIR/coordinator.log"
    log "backup (restored into a scratch database to verify it) -> migration -> rollout; waiting for traffic to reach the new version"
    for _ in $(seq 1 600); do
        local seen
        seen="$(api_get "/api/transitions?releaseId=$release_id" 2>/dev/null || true)"
        [[ $seen == *'"step":"traffic-'* ]] && break
        if [[ $seen == *'"result":"fail"'* ]]; then
            mesh release status "$release_id" || true
            die "the second release failed before traffic moved; see $RUN_DIR/*.log"
        fi
        sleep 0.5
    done
    log "SIMULATION: the new pods start failing half their requests (error share 0.5)"
    curl -fsS -X POST "http://127.0.0.1:$PLATFORM_PORT/admin/error-share?environment=$BREAKING_ENVIRONMENT&service=$SERVICE&share=0.5" >&2
    log "Prometheus evaluates HighErrorRate; Alertmanager calls the monitor-service; nobody touches anything"
    for _ in $(seq 1 360); do
        state="$(json_field "$(api_get "/api/releases/$release_id")" state)"
        [[ $state == ROLLED_BACK || $state == FAILED || $state == SUCCEEDED ]] && break
        sleep 0.5
    done
    curl -fsS -X POST "http://127.0.0.1:$PLATFORM_PORT/admin/error-share?environment=$BREAKING_ENVIRONMENT&service=$SERVICE&share=0" >/dev/null
    mesh release status "$release_id" || true
    local took
    took="$(alert_to_restore_ms "$release_id")"
    if [[ -n $took ]]; then
        log "from the alert reaching the mesh to traffic back on blue: $took ms"
    fi
    [[ $state == ROLLED_BACK ]] || die "the second release ended $state instead of ROLLED_BACK; see $RUN_DIR/*.log"
    local why
    why="$(json_field "$(api_get "/api/releases/$release_id")" reason)"
    if [[ $why != *alert* ]]; then
        log "this time the verification gate caught the errors before the alert fired: $why"
    fi

    say "Done. $SERVICE $first is live in $ENVIRONMENT; $second was rolled back in $BREAKING_ENVIRONMENT without a human. The mesh keeps running:"
    mesh release list >&2 || true
    for entry in "${SERVICES[@]}"; do
        echo "  ${entry%%:*}: http://127.0.0.1:${entry##*:}  (/q/health/ready, /q/metrics, /q/openapi)" >&2
    done
    echo "  API token:        $MESH_LOCAL_DIR/api-token (the mesh CLI reads MESH_API_TOKEN)" >&2
    echo "  releases:         MESH_API_TOKEN=\$(cat $MESH_LOCAL_DIR/api-token) java -jar mesh-cli/target/mesh.jar release list" >&2
    echo "  Prometheus:       http://127.0.0.1:$PROMETHEUS_PORT (alerts: /alerts)   Alertmanager: http://127.0.0.1:$ALERTMANAGER_PORT" >&2
    echo "  cluster:          SIMULATION, fabric8 mock API on http://127.0.0.1:$CLUSTER_API_PORT (kubectl --server)" >&2
    echo "  backbone metrics: curl -s http://127.0.0.1:8080/q/metrics | grep mesh_stream" >&2
    echo "  logs:             $RUN_DIR/*.log" >&2
    echo "  stop everything:  deploy/local/demo.sh stop" >&2
}

case "${1:-start}" in
    start) main ;;
    up) up ;;
    stop) stop_everything ;;
    down) stop_processes ;;
    stop-services) stop_services ;;
    status) status ;;
    -h | --help | help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$1' (use: start, up, down, stop, stop-services, status)" ;;
esac
