#!/usr/bin/env bash
# Checks that every service with an API answers as its OpenAPI document says: schemathesis (pinned, in a venv under
# .mesh-local) runs every check (--checks all: status codes, response schemas, content types, headers, 5xx, bodies
# that break the schema refused, undeclared methods answered 405 with Allow, auth not ignored) against the
# coordinator and the monitor-service. Each runs as its packaged application on a database and a Redis database of
# its own (6), with an admin token made for the run. Fails on any failure or error.
#
#   deploy/local/api-conformance.sh            after the services were packaged (./mvnw package)
#
# Prints one line per service: api_conformance service=<name> failures=<n> errors=<n> (exit 0 only if all are 0).
# Needs the local servers (deploy/local/servers.sh start redis postgres); test.sh runs it after the Maven suite.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"
cd "$REPO"

SCHEMATHESIS_VERSION=4.32.5
VENV="$MESH_LOCAL_DIR/schemathesis-$SCHEMATHESIS_VERSION"
WORK="$MESH_LOCAL_DIR/api-conformance"
mkdir -p "$WORK"

if [[ ! -x $VENV/bin/st ]]; then
    command -v python3 >/dev/null || die "python3 is needed for schemathesis"
    log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install -y python3-venv)"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" || die "pip could not install schemathesis"
fi

eval "$("$SCRIPT_DIR/servers.sh" env)"
for jar in coordinator monitor-service; do
    [[ -f $jar/target/quarkus-app/quarkus-run.jar ]] || die "$jar is not packaged: run ./mvnw package first"
done

MESH_ST_API_TOKEN="st-api-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
MESH_ST_ALERT_TOKEN="st-alert-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export MESH_ST_API_TOKEN MESH_ST_ALERT_TOKEN

database=mesh_api_conformance
PGPASSWORD="$MESH_PG_PASSWORD" PGOPTIONS="-c client_min_messages=warning" psql -q -h "$MESH_PG_HOST" -p "$MESH_PG_PORT" -U "$MESH_PG_USER" -d "$MESH_PG_DB" \
    -c "drop database if exists $database with (force)" -c "create database $database" >&2 ||
    die "cannot create the database $database"

pids=()
stop_all() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

# start NAME PORT: the packaged service on its own Redis database; its log in $WORK/NAME.log.
start() {
    local name=$1 port=$2
    MESH_REDIS_URL="${MESH_REDIS_URL%/}/6" MESH_PG_DB=$database MESH_API_TOKEN=$MESH_ST_API_TOKEN \
        MESH_ALERT_TOKEN=$MESH_ST_ALERT_TOKEN \
        java -Xmx128m -Dquarkus.http.port="$port" -jar "$name/target/quarkus-app/quarkus-run.jar" \
        >"$WORK/$name.log" 2>&1 &
    pids+=($!)
    local deadline=$((SECONDS + 90))
    until curl -fsS "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$name did not get ready on port $port within 90 s; see $WORK/$name.log"
        sleep 0.5
    done
}

failed=0
# check NAME PORT: schemathesis against the service's document; the report is kept in $WORK/NAME.txt.
check() {
    local name=$1 port=$2 rc=0
    log "schemathesis $SCHEMATHESIS_VERSION against $name (every check; report in $WORK/$name.txt)"
    "$VENV/bin/st" --config-file "$SCRIPT_DIR/schemathesis.toml" --no-color run \
        "http://127.0.0.1:$port/q/openapi?format=json" --url "http://127.0.0.1:$port" --checks all \
        >"$WORK/$name.txt" 2>&1 || rc=$?
    local summary failures errors
    summary=$(grep -E '^=+ .* in [0-9.]+s =+$' "$WORK/$name.txt" | tail -1)
    failures=$(grep -oE '[0-9]+ failures?' <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
    errors=$(grep -oE '[0-9]+ errors?' <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
    echo "api_conformance service=$name failures=$failures errors=$errors"
    if ((rc != 0)); then
        failed=1
        sed -n '/= FAILURES =\|= ERRORS =/,$p' "$WORK/$name.txt" | head -150 >&2 || true
    fi
}

coordinator_port=$(free_port)
start coordinator "$coordinator_port"
monitor_port=$(free_port)
start monitor-service "$monitor_port"
check coordinator "$coordinator_port"
check monitor-service "$monitor_port"
((failed == 0)) || die "the API does not match its OpenAPI document; see above"
log "both APIs match their OpenAPI documents"
