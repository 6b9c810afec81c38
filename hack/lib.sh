# Shared helpers for the hack/ scripts. Source it; do not run it.
# shellcheck shell=bash

IMCLUSTER_CACHE="${IMCLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imcluster}"
K8S_VERSION="${K8S_VERSION:-1.20.2}"
K8S_BIN_DIR="${K8S_BIN_DIR:-$IMCLUSTER_CACHE/k8s-$K8S_VERSION}"
TOOLS_BIN_DIR="${TOOLS_BIN_DIR:-$IMCLUSTER_CACHE/bin}"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root (directly when we already are).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages whose named command is missing: pairs of "command:package".
_apt_updated=""
ensure_pkgs() {
  local need=() pair cmd pkg
  for pair in "$@"; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    if [[ "$cmd" == /* ]]; then [ -e "$cmd" ] || need+=("$pkg")
    else command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg"); fi
  done
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${need[*]}"
  if [ -z "$_apt_updated" ]; then as_root apt-get update -qq; _apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Prints a free TCP port (bind 0 on the wildcard address and read it back): free on every local address, so also
# for a server that binds 0.0.0.0 (the operator) while other sockets use ports on 127.0.0.N (the node agent's pods).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until "$@" succeeds or the timeout (seconds, first arg) expires.
wait_for() {
  local timeout="$1"; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.5
  done
}
