#!/usr/bin/env bash
# Local Redis + PostgreSQL for developing / testing Berrys Deploy Mesh without Docker or systemd.
#
#   deploy/local/servers.sh {start|stop|status|restart|crash|env} [redis|postgres|monitoring|moto|all]
#
# stdout (start/status): machine-readable lines, no passwords:
#   redis=redis://127.0.0.1:6390
#   postgres=postgresql://127.0.0.1:5442/mesh
# stdout (env): export lines for `eval "$(deploy/local/servers.sh env)"`.
# Everything human-readable goes to stderr. See usage() for the environment variables.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
    cat >&2 <<'EOF'
Usage: deploy/local/servers.sh {start|stop|status|restart|crash|env} [redis|postgres|monitoring|moto|all]   (default: all)
       crash redis: kill -9 Redis (no AOF flush) and start it again

  start    start the server(s) if not running (idempotent), print "name=url" lines;
           'start all' (re)writes $MESH_LOCAL_DIR/servers.env (same as 'env all'),
           a single-target start only creates it when missing
  stop     stop the server(s) started by this script (no-op if not running)
  status   print "name=url" for running servers; exit 3 if one is not running
  restart  stop + start
  env      print "export VAR=..." lines, e.g.  eval "$(deploy/local/servers.sh env)"

Environment:
  MESH_LOCAL_DIR     state dir (default: <repo>/.mesh-local)
  MESH_REDIS_PORT    local Redis port (default 6390); data in $MESH_LOCAL_DIR/redis-<port>
  MESH_REDIS_APPENDFSYNC  AOF fsync policy: everysec (default; a Redis crash may lose the last second)
                     or always (nothing acknowledged is lost; p99 latency grows about tenfold here)
  MESH_REDIS_TLS_PORT  the local Redis's TLS port (default: its port + 1), certificate from $MESH_LOCAL_DIR/redis-<port>/tls
  MESH_REDIS_URL     use this existing Redis instead of starting one (only PINGed)
  MESH_REDIS_PASSWORD  with MESH_REDIS_URL: the password of its admin user (MESH_REDIS_USER, default "default")
  MESH_PG_PORT       local PostgreSQL port (default 5442); data in $MESH_LOCAL_DIR/postgres-<port>
  MESH_PG_URL        use this existing PostgreSQL (postgresql://user:pass@host:port/db) instead
  MESH_PG_USER       application role (default mesh)
  MESH_PG_PASSWORD   its password (default mesh)
  MESH_PG_DB         application database (default mesh)
  MESH_PROVISIONER_PG_USER  the role the provisioner's local provider creates environments' roles and databases
                     as: CREATEROLE and CREATEDB, no superuser (default mesh_provisioner)
  MESH_PROVISIONER_PG_PASSWORD  its password (default mesh_provisioner)
  MESH_PG_BIN        directory with initdb/pg_ctl/psql (default: newest /usr/lib/postgresql/*/bin)
EOF
}

# ---------------------------------------------------------------- configuration

MESH_REDIS_PORT="${MESH_REDIS_PORT:-6390}"
MESH_PG_PORT="${MESH_PG_PORT:-5442}"
MESH_REDIS_TLS_PORT="${MESH_REDIS_TLS_PORT:-$((${MESH_REDIS_PORT//[^0-9]/} + 1))}"
MESH_REDIS_APPENDFSYNC="${MESH_REDIS_APPENDFSYNC:-everysec}"
case "$MESH_REDIS_APPENDFSYNC" in
    everysec | always | no) ;;
    *) die "MESH_REDIS_APPENDFSYNC='$MESH_REDIS_APPENDFSYNC' must be everysec, always or no" ;;
esac
_PG_USER_GIVEN="${MESH_PG_USER+x}"
_PG_PASSWORD_GIVEN="${MESH_PG_PASSWORD+x}"
MESH_PG_USER="${MESH_PG_USER:-mesh}"
MESH_PG_PASSWORD="${MESH_PG_PASSWORD:-mesh}"
MESH_PG_DB="${MESH_PG_DB:-mesh}"
MESH_PROVISIONER_PG_USER="${MESH_PROVISIONER_PG_USER:-mesh_provisioner}"
MESH_PROVISIONER_PG_PASSWORD="${MESH_PROVISIONER_PG_PASSWORD:-mesh_provisioner}"
EXT_REDIS_URL="${MESH_REDIS_URL:-}"
EXT_PG_URL="${MESH_PG_URL:-}"

for _p in MESH_REDIS_PORT MESH_REDIS_TLS_PORT MESH_PG_PORT; do
    if ! [[ ${!_p} =~ ^[0-9]+$ ]] || ((${!_p} < 1 || ${!_p} > 65535)); then
        die "$_p='${!_p}' is not a valid TCP port"
    fi
done

REDIS_DIR="$MESH_LOCAL_DIR/redis-$MESH_REDIS_PORT"
# One password per ACL user, the default user's being the admin's the tests use; generated once, kept.
REDIS_SECRETS_DIR="$REDIS_DIR/secrets"
REDIS_ACLFILE="$REDIS_DIR/users.acl"
REDIS_ACL_RULES="$SCRIPT_DIR/../redis/users.acl"
REDIS_TLS_DIR="$REDIS_DIR/tls"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
PG_DIR="$MESH_LOCAL_DIR/postgres-$MESH_PG_PORT"
PG_LOG="$PG_DIR/postgres.log"
PG_SUPERUSER=postgres

# fail MSG [LOGFILE]: print what failed, where the log is and its tail; exit 1.
fail() {
    log "ERROR: $1"
    if [[ -n ${2:-} ]]; then
        log "log file: $2"
        if [[ -r $2 ]]; then
            log "last lines of $2:"
            tail -n 25 "$2" | sed 's/^/    /' >&2
        fi
    fi
    exit 1
}

# ---------------------------------------------------------------- package installation

# apt_install PKG...: apt-get install -y; apt-get update + retry only if that fails.
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "$* not installed and apt-get is not available; install it manually"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "$* not installed; run as root or install it: apt-get install -y $*"
        sudo=(sudo)
    fi
    # On a machine without an init system the packages' postinst would try to start their
    # default instances (redis :6379, postgres cluster 15/main :5432); suppress that.
    local policy_created=""
    if ((EUID == 0)) && [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
    fi
    local rc=0
    log "installing $* (apt-get install -y $*)"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        { "${sudo[@]}" apt-get update >&2 &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2; } || rc=$?
    fi
    [[ -z $policy_created ]] || rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || die "apt-get install -y $* failed (exit $rc)"
}

# ---------------------------------------------------------------- redis

redis_local_url() { printf 'redis://127.0.0.1:%s\n' "$MESH_REDIS_PORT"; }

# MESH_REDIS_URL counts as "external" unless it just points at the instance we manage
# (so `eval "$(servers.sh env)"` followed by `servers.sh stop` still stops it).
redis_is_external() {
    [[ -n $EXT_REDIS_URL ]] || return 1
    local norm
    norm=$(printf '%s\n' "$EXT_REDIS_URL" |
        sed -E 's#^([^/]*://)[^@/]*@#\1#; s#://localhost([:/]|$)#://127.0.0.1\1#; s#/0?$##')
    [[ $norm != "$(redis_local_url)" ]]
}

need_redis() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        apt_install redis-server
        command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after installing"
    fi
}

# redis_secret USER: that ACL user's password, generated on first use. Only ever read from files or the
# environment: never on a command line, where ps would show it.
redis_secret() {
    local file="$REDIS_SECRETS_DIR/$1"
    if [[ ! -s $file ]]; then
        (umask 077 && mkdir -p "$REDIS_SECRETS_DIR" && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$file.tmp.$$" &&
            mv -f "$file.tmp.$$" "$file")
    fi
    cat "$file"
}

# The users of deploy/redis/users.acl with their passwords' hashes, and the default user as the admin.
# Returns 1 when the aclfile already held exactly that.
redis_write_aclfile() {
    [[ -r $REDIS_ACL_RULES ]] || die "$REDIS_ACL_RULES is missing: it defines the mesh's Redis users"
    local name rules hash
    (
        umask 077
        {
            printf 'user default on #%s ~* &* +@all\n' "$(redis_secret default | tr -d '\n' | sha256sum | cut -d' ' -f1)"
            while read -r name rules; do
                hash=$(redis_secret "$name" | tr -d '\n' | sha256sum | cut -d' ' -f1)
                printf 'user %s on #%s %s\n' "$name" "$hash" "$rules"
            done < <(sed -n 's/^user //p' "$REDIS_ACL_RULES")
        } >"$REDIS_ACLFILE.tmp.$$"
    )
    if cmp -s "$REDIS_ACLFILE.tmp.$$" "$REDIS_ACLFILE"; then
        rm -f "$REDIS_ACLFILE.tmp.$$"
        return 1
    fi
    mv -f "$REDIS_ACLFILE.tmp.$$" "$REDIS_ACLFILE"
}

# A private CA and a server certificate for 127.0.0.1 and localhost, so rediss:// is verified, not trusted blindly.
redis_tls_files() {
    [[ -s $REDIS_TLS_DIR/redis.crt && -s $REDIS_TLS_DIR/ca.crt ]] && return 0
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    log "generating a CA and a server certificate for Redis TLS in $REDIS_TLS_DIR"
    (
        umask 077
        mkdir -p "$REDIS_TLS_DIR"
        cd "$REDIS_TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Berrys Deploy Mesh local CA" \
            -keyout ca.key -out ca.crt 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout redis.key -out redis.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
        openssl x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile san.ext -out redis.crt 2>/dev/null
        rm -f redis.csr san.ext
        chmod 644 ca.crt redis.crt
    ) || die "openssl could not create the Redis certificates in $REDIS_TLS_DIR"
}

redis_cli() {
    REDISCLI_AUTH="$(redis_secret default)" timeout 10 redis-cli --no-auth-warning -h 127.0.0.1 -p "$MESH_REDIS_PORT" "$@"
}

redis_pings() { [[ "$(REDISCLI_AUTH="$(redis_secret default)" timeout 3 redis-cli --no-auth-warning -h 127.0.0.1 -p "$MESH_REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

# The running Redis enforces the mesh's users (it was started with our aclfile); after the rules changed, reload
# them. Only then: ACL LOAD on Redis 7.0 drops every client's connection.
redis_acl_current() {
    [[ "$(redis_cli config get aclfile 2>/dev/null | sed -n 2p)" == "$REDIS_ACLFILE" ]] || return 1
    if redis_write_aclfile; then
        log "the rules of $REDIS_ACL_RULES changed; reloading them (ACL LOAD)"
        [[ "$(redis_cli acl load 2>&1)" == OK ]] || return 1
    fi
    return 0
}

# Data dir of whatever Redis answers on our port.
redis_running_dir() { redis_cli config get dir 2>/dev/null | sed -n 2p; }

# redis_alive PID: a live (non-zombie) redis-server process.
redis_alive() {
    local pid=$1 state
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
    grep -q redis "/proc/$pid/comm" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    [[ -n $state && $state != Z ]]
}

# pid from the pidfile, if that process is alive.
redis_pid() {
    local pid=""
    [[ -r $REDIS_PIDFILE ]] && pid=$(<"$REDIS_PIDFILE")
    if redis_alive "$pid"; then
        printf '%s\n' "$pid"
    fi
}

redis_check_external() {
    need_redis
    local shown out
    shown=$(redact_url "$EXT_REDIS_URL")
    out=$(REDISCLI_AUTH="${MESH_REDIS_PASSWORD:-}" timeout 10 redis-cli --no-auth-warning -u "$EXT_REDIS_URL" ${MESH_REDIS_USER:+--user "$MESH_REDIS_USER"} ping 2>&1) || true
    if [[ $out != PONG ]]; then
        log "ERROR: external Redis MESH_REDIS_URL=$shown does not answer PING: $(printf '%s' "${out:-no answer}" | tr '\n' ' ')"
        return 1
    fi
    log "using external Redis $shown (MESH_REDIS_URL is set; not starting/stopping anything)"
    printf 'redis=%s\n' "$shown"
}

redis_start() {
    if redis_is_external; then
        redis_check_external || exit 1
        return 0
    fi
    need_redis
    local port=$MESH_REDIS_PORT
    if port_open 127.0.0.1 "$port"; then
        if redis_pings; then
            local rdir
            rdir=$(redis_running_dir)
            if [[ $rdir == "$REDIS_DIR" ]] && ! redis_acl_current; then
                log "the running redis does not enforce the mesh's ACL users (started before them); restarting it"
                redis_stop
                redis_start
                return
            elif [[ $rdir == "$REDIS_DIR" ]]; then
                log "redis already running on 127.0.0.1:$port (pid $(redis_pid), dir $REDIS_DIR)"
            else
                log "WARNING: a Redis not started by this script already listens on 127.0.0.1:$port (dir ${rdir:-?}); using it"
            fi
            redis_local_url | sed 's/^/redis=/'
            return 0
        fi
        if [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$port" ping 2>&1)" == *NOAUTH* ]]; then
            fail "the Redis on 127.0.0.1:$port wants a password that $REDIS_SECRETS_DIR/default does not hold (were the secrets deleted?); stop that Redis or restore the secrets"
        fi
        fail "port 127.0.0.1:$port is in use by something that does not answer Redis PING; set MESH_REDIS_PORT to another port"
    fi

    mkdir -p "$REDIS_DIR"
    port_open 127.0.0.1 "$MESH_REDIS_TLS_PORT" &&
        fail "the Redis TLS port 127.0.0.1:$MESH_REDIS_TLS_PORT is in use; set MESH_REDIS_TLS_PORT to another port"
    redis_write_aclfile || true
    redis_tls_files
    log "starting redis-server on 127.0.0.1:$port, TLS on $MESH_REDIS_TLS_PORT (dir $REDIS_DIR, log $REDIS_LOG)"
    local out
    # 9>&-: don't let the daemon inherit our lock fd.
    if ! out=$(redis-server \
        --port "$port" \
        --bind 127.0.0.1 \
        --aclfile "$REDIS_ACLFILE" \
        --tls-port "$MESH_REDIS_TLS_PORT" \
        --tls-cert-file "$REDIS_TLS_DIR/redis.crt" \
        --tls-key-file "$REDIS_TLS_DIR/redis.key" \
        --tls-ca-cert-file "$REDIS_TLS_DIR/ca.crt" \
        --tls-auth-clients no \
        --dir "$REDIS_DIR" \
        --appendonly yes \
        --appendfsync "$MESH_REDIS_APPENDFSYNC" \
        --save "" \
        --daemonize yes \
        --pidfile "$REDIS_PIDFILE" \
        --logfile "$REDIS_LOG" 2>&1 </dev/null 9>&-); then
        log "redis-server said: $out"
        fail "redis-server failed to start on 127.0.0.1:$port" "$REDIS_LOG"
    fi
    [[ -z $out ]] || log "redis-server: $out"
    # PING answers LOADING while a big AOF is replayed; wait for PONG.
    local started=$SECONDS deadline=$((SECONDS + 60))
    until redis_pings; do
        if ((SECONDS >= deadline)); then
            fail "redis-server did not answer PING on 127.0.0.1:$port within 60s" "$REDIS_LOG"
        fi
        if ((SECONDS - started > 3)) && [[ -z $(redis_pid) ]] && ! port_open 127.0.0.1 "$port"; then
            fail "redis-server exited right after starting (port $port)" "$REDIS_LOG"
        fi
        sleep 0.2
    done
    log "redis is up on 127.0.0.1:$port (pid $(redis_pid))"
    redis_local_url | sed 's/^/redis=/'
}

redis_stop() {
    if redis_is_external; then
        log "MESH_REDIS_URL is set ($(redact_url "$EXT_REDIS_URL")): external Redis, not stopping it"
        return 0
    fi
    local port=$MESH_REDIS_PORT pid
    pid=$(redis_pid)
    if port_open 127.0.0.1 "$port" && redis_pings; then
        local rdir
        rdir=$(redis_running_dir)
        if [[ $rdir != "$REDIS_DIR" ]]; then
            fail "the Redis on 127.0.0.1:$port was not started by this script (its dir is '${rdir:-?}', expected $REDIS_DIR); not stopping it"
        fi
        need_redis
        log "stopping redis on 127.0.0.1:$port${pid:+ (pid $pid)} (SHUTDOWN, AOF is flushed)"
        local out
        out=$(redis_cli shutdown 2>&1) || true
        [[ -z $out ]] || log "redis-cli shutdown: $out"
    elif [[ -z $pid ]]; then
        log "redis on 127.0.0.1:$port is not running"
        return 0
    fi
    if ! wait_for_port_closed 127.0.0.1 "$port" 20; then
        if [[ -n $pid ]]; then
            log "redis still listening after SHUTDOWN; sending SIGTERM to pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
        fi
        wait_for_port_closed 127.0.0.1 "$port" 20 ||
            fail "redis on 127.0.0.1:$port did not stop" "$REDIS_LOG"
    fi
    # The port is closed; make sure the process is really gone too.
    local deadline=$((SECONDS + 20))
    while [[ -n $pid ]] && redis_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "redis pid $pid still alive; sending SIGTERM"
            kill -TERM "$pid" 2>/dev/null || true
            sleep 2
            ! redis_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    log "redis on 127.0.0.1:$port stopped"
}

redis_status() {
    if redis_is_external; then
        redis_check_external
        return
    fi
    if command -v redis-cli >/dev/null 2>&1 && port_open 127.0.0.1 "$MESH_REDIS_PORT" && redis_pings; then
        local rdir
        rdir=$(redis_running_dir)
        if [[ $rdir == "$REDIS_DIR" ]]; then
            log "redis running on 127.0.0.1:$MESH_REDIS_PORT (pid $(redis_pid), dir $rdir)"
        else
            log "a Redis not started by servers.sh answers on 127.0.0.1:$MESH_REDIS_PORT (dir ${rdir:-?})"
        fi
        redis_local_url | sed 's/^/redis=/'
        return 0
    fi
    log "redis on 127.0.0.1:$MESH_REDIS_PORT is not running (dir $REDIS_DIR)"
    return 3
}

# ---------------------------------------------------------------- postgres

pg_local_url() { printf 'postgresql://127.0.0.1:%s/%s\n' "$MESH_PG_PORT" "$MESH_PG_DB"; }

pg_is_external() {
    [[ -n $EXT_PG_URL ]] || return 1
    local norm
    norm=$(printf '%s\n' "$EXT_PG_URL" |
        sed -E 's#^jdbc:##; s#^postgres://#postgresql://#; s#^([^/]*://)[^@/]*@#\1#; s#\?.*$##; s#://localhost([:/]|$)#://127.0.0.1\1#')
    [[ $norm != "$(pg_local_url)" ]]
}

PG_BIN=""
pg_find_bin() {
    if [[ -n ${MESH_PG_BIN:-} ]]; then
        [[ -x $MESH_PG_BIN/pg_ctl ]] || die "MESH_PG_BIN=$MESH_PG_BIN has no pg_ctl"
        PG_BIN=$MESH_PG_BIN
        return 0
    fi
    local d best="" v bestv=0
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl && -x $d/psql ]] || continue
        v=$(basename "$(dirname "$d")")
        v=${v%%.*}
        [[ $v =~ ^[0-9]+$ ]] || v=0
        if [[ -z $best ]] || ((v > bestv)); then
            best=$d
            bestv=$v
        fi
    done
    if [[ -z $best ]] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        best=$(dirname "$(command -v initdb)")
    fi
    [[ -n $best ]] || return 1
    PG_BIN=$best
}

need_pg() {
    if ! pg_find_bin; then
        apt_install postgresql
        pg_find_bin || die "PostgreSQL binaries (initdb, pg_ctl) still not found after installing"
    fi
}

need_pg_client() {
    pg_find_bin && return 0
    if command -v pg_isready >/dev/null 2>&1; then
        PG_BIN=$(dirname "$(command -v pg_isready)")
        return 0
    fi
    need_pg
}

# Run a PostgreSQL binary as the OS user owning the cluster (postgres refuses to run as root).
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# Unix socket lives in the data dir, unless that path is too long for sun_path (107 bytes).
pg_socket_dir() {
    local sock="$PG_DIR/.s.PGSQL.$MESH_PG_PORT.lock"
    if ((${#sock} <= 100)); then
        printf '%s\n' "$PG_DIR"
    else
        printf '/tmp/mesh-pg-%s-%s\n' "$MESH_PG_PORT" "$(printf '%s' "$PG_DIR" | cksum | cut -d' ' -f1)"
    fi
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; }

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$MESH_PG_PORT" -t "${1:-5}" >/dev/null 2>&1; }

pg_prepare_dirs() {
    mkdir -p "$MESH_LOCAL_DIR"
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 ||
            die "running as root but there is no 'postgres' OS user to run PostgreSQL as (is the postgresql package installed?)"
        # Every parent directory must be traversable by the postgres user.
        local p=$MESH_LOCAL_DIR
        while [[ $p != / && -n $p ]]; do
            if ! runuser -u postgres -- test -x "$p" 2>/dev/null; then
                log "chmod o+x $p (the postgres OS user must be able to reach $PG_DIR)"
                chmod o+x "$p"
            fi
            p=$(dirname "$p")
        done
        mkdir -p "$PG_DIR"
        if [[ $(stat -c %U "$PG_DIR") != postgres ]]; then
            chown -R postgres:postgres "$PG_DIR"
        fi
    else
        mkdir -p "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    local sockdir
    sockdir=$(pg_socket_dir)
    if [[ $sockdir != "$PG_DIR" ]]; then
        log "data dir path too long for a unix socket; using socket dir $sockdir"
        mkdir -p "$sockdir"
        chmod 700 "$sockdir"
        ((EUID != 0)) || chown postgres:postgres "$sockdir"
    fi
}

pg_initdb() {
    [[ ! -f $PG_DIR/PG_VERSION ]] || return 0
    if [[ -n $(ls -A "$PG_DIR") ]]; then
        fail "$PG_DIR exists, is not empty and is not a PostgreSQL data dir; remove it or choose another MESH_PG_PORT"
    fi
    local initlog="$MESH_LOCAL_DIR/postgres-$MESH_PG_PORT.initdb.log"
    log "initdb $PG_DIR (log $initlog)"
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U "$PG_SUPERUSER" \
        --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --no-locale >"$initlog" 2>&1; then
        fail "initdb of $PG_DIR failed" "$initlog"
    fi
    printf "\n# local settings managed by deploy/local/servers.sh\ninclude_if_exists = 'mesh.conf'\n" |
        as_pg tee -a "$PG_DIR/postgresql.conf" >/dev/null
}

# Rewritten on every start, so a moved checkout / changed socket dir keeps working.
pg_write_conf() {
    as_pg tee "$PG_DIR/mesh.conf" >/dev/null <<EOF
# managed by deploy/local/servers.sh -- rewritten on every start
listen_addresses = '127.0.0.1'
port = $MESH_PG_PORT
unix_socket_directories = '$(pg_socket_dir)'
password_encryption = 'scram-sha-256'
EOF
}

# Create/refresh the application role and database (idempotent).
pg_ensure_role_db() {
    local out
    if ! out=$(as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$(pg_socket_dir)" -p "$MESH_PG_PORT" -U "$PG_SUPERUSER" -d postgres \
        -v app_user="$MESH_PG_USER" -v app_pw="$MESH_PG_PASSWORD" -v app_db="$MESH_PG_DB" \
        -v prov_user="$MESH_PROVISIONER_PG_USER" -v prov_pw="$MESH_PROVISIONER_PG_PASSWORD" 2>&1 <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') AS create_role \gset
\if :create_role
CREATE ROLE :"app_user" LOGIN CREATEDB PASSWORD :'app_pw';
\else
ALTER ROLE :"app_user" LOGIN CREATEDB PASSWORD :'app_pw';
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') AS create_db \gset
\if :create_db
CREATE DATABASE :"app_db" OWNER :"app_user";
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'prov_user') AS create_prov \gset
\if :create_prov
CREATE ROLE :"prov_user" LOGIN CREATEROLE CREATEDB PASSWORD :'prov_pw';
\else
ALTER ROLE :"prov_user" LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD :'prov_pw';
\endif
SQL
    ); then
        log "psql: $out"
        fail "could not create role '$MESH_PG_USER' / database '$MESH_PG_DB'" "$PG_LOG"
    fi
}

pg_check_external() {
    need_pg_client
    local shown url out
    shown=$(redact_url "$EXT_PG_URL")
    url=${EXT_PG_URL#jdbc:}
    if ! out=$("$PG_BIN/pg_isready" -d "$url" -t 10 2>&1); then
        log "ERROR: external PostgreSQL MESH_PG_URL=$shown is not ready: $(redact_url "$out")"
        return 1
    fi
    log "using external PostgreSQL $shown (MESH_PG_URL is set; not starting/stopping anything)"
    printf 'postgres=%s\n' "$shown"
}

pg_start() {
    if pg_is_external; then
        pg_check_external || exit 1
        return 0
    fi
    need_pg
    pg_prepare_dirs
    pg_initdb
    if pg_running; then
        log "postgres already running on 127.0.0.1:$MESH_PG_PORT (data dir $PG_DIR)"
    else
        if port_open 127.0.0.1 "$MESH_PG_PORT"; then
            fail "port 127.0.0.1:$MESH_PG_PORT is already in use by another process; set MESH_PG_PORT to another port"
        fi
        pg_write_conf
        log "starting postgres $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$MESH_PG_PORT (data dir $PG_DIR, log $PG_LOG)"
        # 9>&-: don't let the postmaster inherit our lock fd.
        if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_LOG" -w -t 60 start >&2 </dev/null 9>&-; then
            fail "PostgreSQL failed to start on 127.0.0.1:$MESH_PG_PORT" "$PG_LOG"
        fi
    fi
    pg_ready 30 || fail "PostgreSQL is running but not accepting TCP connections on 127.0.0.1:$MESH_PG_PORT" "$PG_LOG"
    pg_ensure_role_db
    log "postgres is up on 127.0.0.1:$MESH_PG_PORT (role $MESH_PG_USER, database $MESH_PG_DB)"
    pg_local_url | sed 's/^/postgres=/'
}

pg_stop() {
    if pg_is_external; then
        log "MESH_PG_URL is set ($(redact_url "$EXT_PG_URL")): external PostgreSQL, not stopping it"
        return 0
    fi
    if [[ ! -f $PG_DIR/PG_VERSION ]]; then
        log "postgres on 127.0.0.1:$MESH_PG_PORT is not running (no data dir $PG_DIR)"
        return 0
    fi
    need_pg
    if ! pg_running; then
        log "postgres on 127.0.0.1:$MESH_PG_PORT is not running"
        return 0
    fi
    log "stopping postgres on 127.0.0.1:$MESH_PG_PORT (pg_ctl stop -m fast)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w -t 60 stop >&2 ||
        fail "pg_ctl stop failed for $PG_DIR" "$PG_LOG"
    wait_for_port_closed 127.0.0.1 "$MESH_PG_PORT" 10 ||
        fail "postgres stopped but 127.0.0.1:$MESH_PG_PORT is still open" "$PG_LOG"
    log "postgres on 127.0.0.1:$MESH_PG_PORT stopped"
}

pg_status() {
    if pg_is_external; then
        pg_check_external
        return
    fi
    if pg_find_bin && [[ -f $PG_DIR/PG_VERSION ]] && pg_running && pg_ready 5; then
        log "postgres running on 127.0.0.1:$MESH_PG_PORT (data dir $PG_DIR)"
        pg_local_url | sed 's/^/postgres=/'
        return 0
    fi
    log "postgres on 127.0.0.1:$MESH_PG_PORT is not running (data dir $PG_DIR)"
    return 3
}

# ---------------------------------------------------------------- monitoring
# Prometheus and Alertmanager are not kept running: the tests start their own on free ports, with configurations
# of their own. This target only makes sure the Debian packages (and promtool, amtool) are installed.

monitoring_tools=(prometheus promtool prometheus-alertmanager amtool)

monitoring_missing() {
    local tool
    for tool in "${monitoring_tools[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || return 0
    done
    return 1
}

monitoring_install() {
    if monitoring_missing; then
        apt_install prometheus prometheus-alertmanager
        monitoring_missing && die "prometheus / prometheus-alertmanager installed but ${monitoring_tools[*]} not all on PATH"
    fi
    log "monitoring tools installed: $(prometheus --version 2>&1 | head -n1 | cut -d' ' -f1-3), $(prometheus-alertmanager --version 2>&1 | head -n1 | cut -d' ' -f1-3)"
    echo "monitoring=installed"
}

monitoring_status() {
    if monitoring_missing; then
        log "monitoring tools are not installed (deploy/local/servers.sh start monitoring)"
        return 3
    fi
    echo "monitoring=installed"
}

# ---------------------------------------------------------------- moto (AWS APIs: S3, RDS, ...)
# The moto server from pip, pinned, on a free loopback port chosen at first start and kept in $MOTO_DIR/port.
# MESH_AWS_ENDPOINT set to an existing endpoint means "use that, start nothing".

MOTO_VERSION=5.2.5
MOTO_DIR="$MESH_LOCAL_DIR/moto"
MOTO_PIDFILE="$MOTO_DIR/moto.pid"
MOTO_LOG="$MOTO_DIR/moto.log"
EXT_AWS_ENDPOINT=${MESH_AWS_ENDPOINT:-}

moto_port() {
    if [[ -n ${MESH_MOTO_PORT:-} ]]; then
        echo "$MESH_MOTO_PORT"
    elif [[ -s $MOTO_DIR/port ]]; then
        cat "$MOTO_DIR/port"
    fi
}

moto_pid() {
    local pid
    [[ -s $MOTO_PIDFILE ]] || return 0
    pid=$(cat "$MOTO_PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

moto_answers() {
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/moto-api/" 2>/dev/null
}

need_moto() {
    if command -v moto_server >/dev/null 2>&1 && moto_server --help >/dev/null 2>&1; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-pip
    log "installing the moto server (pip install moto[server]==$MOTO_VERSION)"
    python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" >&2 ||
        python3 -m pip install --quiet --break-system-packages "moto[server]==$MOTO_VERSION" >&2 ||
        die "pip install moto[server]==$MOTO_VERSION failed"
    hash -r
    command -v moto_server >/dev/null 2>&1 || die "moto installed but moto_server is not on PATH"
}

moto_start() {
    if [[ -n $EXT_AWS_ENDPOINT ]]; then
        log "MESH_AWS_ENDPOINT is set ($EXT_AWS_ENDPOINT): using it, not starting moto"
        echo "moto=$EXT_AWS_ENDPOINT"
        return 0
    fi
    need_moto
    mkdir -p "$MOTO_DIR"
    local port
    port=$(moto_port)
    if [[ -n $port && -n $(moto_pid) ]] && moto_answers "$port"; then
        log "moto already running on 127.0.0.1:$port (pid $(moto_pid))"
        echo "moto=http://127.0.0.1:$port"
        return 0
    fi
    if [[ -z $port ]] || port_open 127.0.0.1 "$port"; then
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    echo "$port" >"$MOTO_DIR/port"
    log "starting moto_server $MOTO_VERSION on 127.0.0.1:$port (log $MOTO_LOG)"
    nohup moto_server -H 127.0.0.1 -p "$port" >"$MOTO_LOG" 2>&1 </dev/null 9>&- &
    echo $! >"$MOTO_PIDFILE"
    local deadline=$((SECONDS + 60))
    until moto_answers "$port"; do
        if ((SECONDS >= deadline)); then
            fail "moto_server did not answer on 127.0.0.1:$port within 60s" "$MOTO_LOG"
        fi
        [[ -n $(moto_pid) ]] || fail "moto_server exited right after starting (port $port)" "$MOTO_LOG"
        sleep 0.3
    done
    log "moto is up on 127.0.0.1:$port (pid $(moto_pid))"
    echo "moto=http://127.0.0.1:$port"
}

moto_stop() {
    local pid
    pid=$(moto_pid)
    if [[ -z $pid ]]; then
        log "moto is not running"
        return 0
    fi
    log "stopping moto (pid $pid)"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$MOTO_PIDFILE"
}

moto_status() {
    local port
    port=$(moto_port)
    if [[ -n $EXT_AWS_ENDPOINT ]]; then
        echo "moto=$EXT_AWS_ENDPOINT"
    elif [[ -n $port && -n $(moto_pid) ]] && moto_answers "$port"; then
        echo "moto=http://127.0.0.1:$port"
    else
        log "moto is not running (deploy/local/servers.sh start moto)"
        return 3
    fi
}

# ---------------------------------------------------------------- env output

print_env() {
    local t
    for t in "$@"; do
        case $t in
        redis)
            if redis_is_external; then
                # the user's own values, unchanged
                printf 'export MESH_REDIS_URL=%q\n' "$EXT_REDIS_URL"
                local given
                for given in MESH_REDIS_USER MESH_REDIS_PASSWORD MESH_REDIS_SECRETS MESH_REDIS_TLS_URL MESH_REDIS_CA_FILE; do
                    [[ -z ${!given:-} ]] || printf 'export %s=%q\n' "$given" "${!given}"
                done
            else
                # The admin (default user) for tests and scripts; each service's own password is a file in
                # MESH_REDIS_SECRETS, named after its ACL user.
                printf 'export MESH_REDIS_URL=%q\n' "$(redis_local_url)"
                printf 'export MESH_REDIS_PASSWORD=%q\n' "$(redis_secret default)"
                printf 'export MESH_REDIS_SECRETS=%q\n' "$REDIS_SECRETS_DIR"
                printf 'export MESH_REDIS_TLS_URL=%q\n' "rediss://127.0.0.1:$MESH_REDIS_TLS_PORT"
                printf 'export MESH_REDIS_CA_FILE=%q\n' "$REDIS_TLS_DIR/ca.crt"
            fi
            ;;
        postgres)
            local user=$MESH_PG_USER pw=$MESH_PG_PASSWORD url
            if pg_is_external; then
                url=$(redact_url "${EXT_PG_URL#jdbc:}")
                local userinfo
                userinfo=$(printf '%s\n' "${EXT_PG_URL#jdbc:}" | sed -nE 's#^[^/]*://([^@/]*)@.*#\1#p')
                if [[ -n $userinfo ]]; then
                    [[ -n $_PG_USER_GIVEN ]] || user=${userinfo%%:*}
                    if [[ -z $_PG_PASSWORD_GIVEN && $userinfo == *:* ]]; then pw=${userinfo#*:}; fi
                fi
            else
                url="postgresql://$MESH_PG_USER@127.0.0.1:$MESH_PG_PORT/$MESH_PG_DB"
            fi
            printf 'export MESH_PG_URL=%q\n' "$url"
            # The same address in parts, as the coordinator's datasource settings read it.
            local address=${url#*://}
            address=${address#*@}
            local hostport=${address%%/*} database=${address#*/}
            database=${database%%\?*}
            printf 'export MESH_PG_HOST=%q\n' "${hostport%%:*}"
            if [[ $hostport == *:* ]]; then printf 'export MESH_PG_PORT=%q\n' "${hostport##*:}"; fi
            printf 'export MESH_PG_DB=%q\n' "$database"
            printf 'export MESH_PG_USER=%q\n' "$user"
            printf 'export MESH_PG_PASSWORD=%q\n' "$pw"
            if ! pg_is_external; then
                printf 'export MESH_PROVISIONER_PG_USER=%q\n' "$MESH_PROVISIONER_PG_USER"
                printf 'export MESH_PROVISIONER_PG_PASSWORD=%q\n' "$MESH_PROVISIONER_PG_PASSWORD"
            fi
            ;;
        moto)
            local endpoint=$EXT_AWS_ENDPOINT port
            if [[ -z $endpoint ]]; then
                port=$(moto_port)
                [[ -z $port ]] || endpoint="http://127.0.0.1:$port"
            fi
            if [[ -n $endpoint ]]; then
                printf 'export MESH_AWS_ENDPOINT=%q\n' "$endpoint"
                # moto accepts any credentials; a real endpoint brings its own through the usual AWS variables.
                if [[ -z $EXT_AWS_ENDPOINT ]]; then
                    printf 'export AWS_ACCESS_KEY_ID=mesh-local\nexport AWS_SECRET_ACCESS_KEY=mesh-local\n'
                fi
            fi
            ;;
        esac
    done
}

write_env_file() {
    local f="$MESH_LOCAL_DIR/servers.env"
    (
        umask 077
        {
            echo "# written by deploy/local/servers.sh start -- source it or eval it"
            print_env redis postgres moto
        } >"$f.tmp.$$"
    )
    mv -f "$f.tmp.$$" "$f"
    log "wrote $f"
}

# servers.env describes the full local setup: rewrite it on `start all` / `restart all`, but let a
# single-target start (e.g. a test's private Redis on another port) only create it if missing, so
# it doesn't point the developer's servers.env at a short-lived instance.
maybe_write_env_file() {
    if [[ $1 == all || ! -e $MESH_LOCAL_DIR/servers.env ]]; then
        write_env_file
    fi
}

# redis_crash: SIGKILL, as a crashed node or a killed pod. Nothing is flushed: with appendfsync everysec, what
# Redis acknowledged in its last second may be missing when it starts again.
redis_crash() {
    if redis_is_external; then
        die "MESH_REDIS_URL is set ($(redact_url "$EXT_REDIS_URL")): external Redis, not crashing it"
    fi
    local port=$MESH_REDIS_PORT pid rdir
    pid=$(redis_pid)
    [[ -n $pid ]] || die "redis on 127.0.0.1:$port is not running; nothing to crash"
    rdir=$(redis_running_dir)
    if [[ $rdir != "$REDIS_DIR" ]]; then
        fail "the Redis on 127.0.0.1:$port was not started by this script (its dir is '${rdir:-?}', expected $REDIS_DIR); not killing it"
    fi
    log "killing redis pid $pid with SIGKILL (appendfsync $MESH_REDIS_APPENDFSYNC: the last second of writes may be lost)"
    kill -KILL "$pid"
    local deadline=$((SECONDS + 20))
    while redis_alive "$pid"; do
        ((SECONDS < deadline)) || fail "redis pid $pid survived SIGKILL for 20 s" "$REDIS_LOG"
        sleep 0.1
    done
    # The kernel closes a killed process's sockets a moment after it dies.
    wait_for_port_closed 127.0.0.1 "$port" 20 || fail "redis on 127.0.0.1:$port still listening after SIGKILL" "$REDIS_LOG"
    rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------- main

lock() {
    mkdir -p "$MESH_LOCAL_DIR"
    exec 9>"$MESH_LOCAL_DIR/.servers.lock"
    if ! flock -w 180 9; then
        die "another servers.sh is still running (lock $MESH_LOCAL_DIR/.servers.lock held for 180s)"
    fi
}

main() {
    local cmd=${1:-} target=${2:-all}
    if (($# > 2)); then
        usage
        exit 2
    fi
    local targets=()
    case $target in
    redis) targets=(redis) ;;
    postgres | postgresql | pg) targets=(postgres) ;;
    monitoring) targets=(monitoring) ;;
    moto) targets=(moto) ;;
    all) targets=(redis postgres monitoring moto) ;;
    *)
        log "unknown target '$target'"
        usage
        exit 2
        ;;
    esac

    local t rc=0
    case $cmd in
    start)
        lock
        for t in "${targets[@]}"; do
            case $t in redis) redis_start ;; postgres) pg_start ;; monitoring) monitoring_install ;; moto) moto_start ;; esac
        done
        maybe_write_env_file "$target"
        ;;
    stop)
        lock
        for t in "${targets[@]}"; do
            case $t in redis) redis_stop ;; postgres) pg_stop ;; moto) moto_stop ;; esac
        done
        ;;
    crash)
        lock
        for t in "${targets[@]}"; do
            case $t in
            redis) redis_crash && redis_start ;;
            *) die "crash is for redis only (it kills -9 and starts it again)" ;;
            esac
        done
        ;;
    restart)
        lock
        for t in "${targets[@]}"; do
            case $t in redis) redis_stop ;; postgres) pg_stop ;; moto) moto_stop ;; esac
        done
        for t in "${targets[@]}"; do
            case $t in redis) redis_start ;; postgres) pg_start ;; monitoring) monitoring_install ;; moto) moto_start ;; esac
        done
        maybe_write_env_file "$target"
        ;;
    status)
        for t in "${targets[@]}"; do
            case $t in
            redis) redis_status || rc=3 ;;
            postgres) pg_status || rc=3 ;;
            monitoring) monitoring_status || rc=3 ;;
            moto) moto_status || rc=3 ;;
            esac
        done
        exit "$rc"
        ;;
    env)
        print_env "${targets[@]}"
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        [[ -z $cmd ]] || log "unknown command '$cmd'"
        usage
        exit 2
        ;;
    esac
}

main "$@"
