#!/usr/bin/env bash
# Prints the path of a kustomize v5 binary, building one first when this machine has none:
#   deploy/local/kustomize.sh                 the path (MESH_KUSTOMIZE if set, else kustomize v5 on PATH, else the
#                                             one built here before, else built now with go install: ~30 s once)
#   deploy/local/kustomize.sh build DIR       render the kustomization in DIR to stdout
#   deploy/local/kustomize.sh optional        the path, or nothing (and a note why) where there is no way to get one
# The demo renders the platform's staging and production overlays with it; the tests check what they render.
# Idempotent; the build is kept in ~/.cache/berrys-mesh, shared by every clone of the repository.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

KUSTOMIZE_VERSION=v5.5.0
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/berrys-mesh/kustomize-$KUSTOMIZE_VERSION"

is_v5() {
    local version
    version="$("$1" version 2>/dev/null || true)"
    [[ $version == *v5.* ]]
}

# unavailable MODE WHY: no kustomize to be had; an error, or with MODE "optional" only a note (and no path).
unavailable() {
    [[ $1 == optional ]] || die "$2"
    log "$2"
}

# locate [optional]: print the path of a kustomize v5, building one when there is none.
locate() {
    if [[ -n ${MESH_KUSTOMIZE:-} ]]; then
        [[ -x $MESH_KUSTOMIZE ]] || die "MESH_KUSTOMIZE=$MESH_KUSTOMIZE is not an executable file"
        echo "$MESH_KUSTOMIZE"
        return
    fi
    local found
    if found="$(command -v kustomize)" && is_v5 "$found"; then
        echo "$found"
        return
    fi
    if [[ -x $CACHE_DIR/kustomize ]]; then
        echo "$CACHE_DIR/kustomize"
        return
    fi
    if ! command -v go >/dev/null; then
        unavailable "${1:-}" "no kustomize v5 on PATH and no Go (1.22 or newer) to build kustomize $KUSTOMIZE_VERSION with; install either, or set MESH_KUSTOMIZE to a kustomize v5 binary"
        return 0
    fi
    log "building kustomize $KUSTOMIZE_VERSION with go install (once, about 30 s) into $CACHE_DIR"
    mkdir -p "$CACHE_DIR"
    if ! GOBIN="$CACHE_DIR" GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2; then
        unavailable "${1:-}" "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION failed (see above; it needs Go 1.22 or newer); set MESH_KUSTOMIZE to a kustomize v5 binary instead"
        return 0
    fi
    echo "$CACHE_DIR/kustomize"
}

case "${1:-}" in
    "") locate ;;
    optional) locate optional ;;
    build)
        [[ -n ${2:-} ]] || die "usage: deploy/local/kustomize.sh build DIR"
        "$(locate)" build "$2"
        ;;
    *) die "unknown command '$1'; use: deploy/local/kustomize.sh [build DIR | optional]" ;;
esac
