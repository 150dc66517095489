# shellcheck shell=bash
# Shared helpers for the local dev scripts in deploy/local. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides:
#   mesh_root                      print the repository root (derived from this file's location)
#   REPO                           same, as a variable
#   MESH_LOCAL_DIR                 state dir for local servers (default: $REPO/.mesh-local, made absolute)
#   log MSG...                     "[mesh-local] MSG" on stderr
#   die MSG...                     log + exit 1
#   port_open HOST PORT            true if a TCP connect succeeds (1s max)
#   wait_for_port HOST PORT SECS   wait until the port accepts connections; non-zero on timeout
#   wait_for_port_closed HOST PORT SECS
#   free_port [FROM] [TO]          print a port on 127.0.0.1 nobody listens on (random in FROM..TO)
#   redact_url URL                 URL with the password removed from the userinfo part

_MESH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

mesh_root() {
    (cd "$_MESH_LIB_DIR/../.." && pwd -P)
}

REPO="$(mesh_root)"
MESH_LOCAL_DIR="${MESH_LOCAL_DIR:-$REPO/.mesh-local}"
# Make it absolute: servers are started with absolute paths and may run as another OS user from '/'.
case "$MESH_LOCAL_DIR" in
    /*) ;;
    *) MESH_LOCAL_DIR="$PWD/$MESH_LOCAL_DIR" ;;
esac
export MESH_LOCAL_DIR

log() {
    printf '[mesh-local] %s\n' "$*" >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

# port_open HOST PORT -> 0 when something accepts TCP connections there.
port_open() {
    local host=$1 port=$2
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# wait_for_port HOST PORT TIMEOUT_S
wait_for_port() {
    local host=$1 port=$2 timeout_s=${3:-30}
    local deadline=$((SECONDS + timeout_s))
    while true; do
        if port_open "$host" "$port"; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

# wait_for_port_closed HOST PORT TIMEOUT_S
wait_for_port_closed() {
    local host=$1 port=$2 timeout_s=${3:-30}
    local deadline=$((SECONDS + timeout_s))
    while port_open "$host" "$port"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
    return 0
}

# free_port [FROM] [TO] -> prints a port that nothing on 127.0.0.1 listens on.
# (Racy by nature: another process may grab it before you bind it.)
free_port() {
    local from=${1:-20000} to=${2:-40000} port i
    for ((i = 0; i < 200; i++)); do
        port=$((from + RANDOM % (to - from + 1)))
        if ! port_open 127.0.0.1 "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    log "free_port: no free port found in $from..$to"
    return 1
}

# redact_url URL -> same URL without the password (scheme://user:pw@host -> scheme://user@host).
redact_url() {
    printf '%s\n' "$1" | sed -E 's#^([^/]*://)([^:@/]*):[^@]*@#\1\2@#; s#://@#://#'
}
