# Shared helpers for the hack/ and e2e/ scripts. Source it; do not run it.
# shellcheck shell=bash

IMCLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMCLUSTER_CACHE="${IMCLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imcluster}"
K8S_VERSION="${K8S_VERSION:-1.20.2}"
K8S_BIN_DIR="${K8S_BIN_DIR:-$IMCLUSTER_CACHE/k8s-$K8S_VERSION}"
TOOLS_BIN_DIR="${TOOLS_BIN_DIR:-$IMCLUSTER_CACHE/bin}"
# The local cluster's state: etcd's data, certificates, the operator's and the node agent's files and pod processes.
IMCLUSTER_STATE="${IMCLUSTER_STATE:-$IMCLUSTER_CACHE/cluster}"
export IMCLUSTER_CACHE IMCLUSTER_STATE

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# "95 s", "2 min 5 s".
human_time() {
  if [ "$1" -ge 60 ]; then printf '%d min %d s' $(($1 / 60)) $(($1 % 60)); else printf '%d s' "$1"; fi
}

# Prints the last lines of a log and its path, for a step that failed.
show_log_tail() {
  echo "---- last lines of $1" >&2
  tail -n "${2:-30}" "$1" >&2 || true
  echo "---- full log: $1" >&2
}

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
  local install="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    die "missing Debian packages: ${need[*]}; install them with: sudo sh -c '$install'"
  fi
  log "installing Debian packages: ${need[*]}"
  if [ -z "$_apt_updated" ]; then
    as_root apt-get update -qq || die "apt-get update failed; install the packages by hand: $install"
    _apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || die "could not install ${need[*]}; by hand: $install"
}

# Prints a free TCP port (bind 0 on the wildcard address and read it back): free on every local address, so also
# for a server that binds 0.0.0.0 (the operator) while other sockets use ports on 127.0.0.N (the node agent's pods).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1]); s.close()'
}

# Who listens on a TCP port: "java (pid 123: java -jar ...)", or nothing.
port_owner() {
  local line pid
  line="$(ss -Htlnp "sport = :$1" 2>/dev/null | head -n1)" || return 0
  [ -n "$line" ] || return 0
  pid="$(printf '%s' "$line" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)"
  if [ -n "$pid" ]; then
    printf '%s (pid %s: %s)' "$(cat "/proc/$pid/comm" 2>/dev/null)" "$pid" \
      "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
  else
    printf 'an unknown process'
  fi
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

# run_logged LABEL LOG EXPECTED STAGE_FN CMD...: runs CMD with its output in LOG and prints a progress line every
# 20 s: the time spent, what remains of EXPECTED seconds (0: not known) and what STAGE_FN LOG says it is doing.
# On failure it shows the log's last lines and its path, and returns the command's status.
run_logged() {
  local label="$1" logf="$2" expected="$3" stage_fn="$4"; shift 4
  mkdir -p "$(dirname "$logf")"
  local t0=$SECONDS rc=0 next=$((SECONDS + 20)) pid line
  "$@" >"$logf" 2>&1 </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $next ]; then
      next=$((SECONDS + 20))
      line="   ... $label: $(human_time $((SECONDS - t0)))"
      if [ "$expected" -gt 0 ]; then
        if [ $((SECONDS - t0)) -lt "$expected" ]; then line+=", about $(human_time $((expected - SECONDS + t0))) left"
        else line+=", taking longer than the usual $(human_time "$expected")"; fi
      fi
      line+="$("$stage_fn" "$logf" 2>/dev/null || true)"
      printf '%s\n' "$line" >&2
    fi
    sleep 1
  done
  wait "$pid" || rc=$?
  if [ $rc -ne 0 ]; then show_log_tail "$logf"; return $rc; fi
  log "$label: done in $(human_time $((SECONDS - t0)))"
}

# The stage of a Maven build, from its log: the module being built, and the downloads so far.
maven_stage() {
  local building downloads
  building="$(grep -o 'Building imcluster[^[]*\[[0-9]*/[0-9]*\]' "$1" | tail -n1 | tr -s ' ')"
  downloads="$(grep -c 'Downloaded from' "$1")"
  [ -n "$building" ] && printf '; %s' "$building"
  [ "$downloads" -gt 0 ] && printf '; %s artifacts downloaded' "$downloads"
  return 0
}

# maven_package MODULES [MAVEN_ARGS...]: builds the comma-separated modules and everything they need in this
# repository (-am, so a sibling module always comes from this build, never from a stale ~/.m2), tests skipped.
# Online, so a first run downloads what it needs; IMCLUSTER_OFFLINE=1 builds offline (-o).
maven_package() {
  local modules="$1"; shift
  local offline=()
  [ "${IMCLUSTER_OFFLINE:-0}" = 1 ] && offline=(-o)
  log "building $modules with Maven (./mvnw -B${offline[*]:+ -o} -pl $modules -am -DskipTests package)"
  run_logged "Maven build of $modules" "$IMCLUSTER_CACHE/logs/build-${modules//,/-}.log" 0 maven_stage \
    "$IMCLUSTER_ROOT/mvnw" -B ${offline[@]+"${offline[@]}"} -Dstyle.color=never -pl "$modules" -am -DskipTests \
    package "$@"
}

# A module's jar is stale when missing or older than its sources, those of common and broker-config (which the broker
# and the operator both depend on) or a pom.
jar_stale() {
  local module="$1" j jar=""
  for j in "$IMCLUSTER_ROOT/$module"/target/imcluster-*.jar; do
    case "$j" in *-sources.jar|*-tests.jar) ;; *) [ -f "$j" ] && jar="$j" ;; esac
  done
  [ -z "$jar" ] && return 0
  [ -n "$(find "$IMCLUSTER_ROOT/pom.xml" "$IMCLUSTER_ROOT/$module/pom.xml" "$IMCLUSTER_ROOT/$module/src/main" \
    "$IMCLUSTER_ROOT/common/pom.xml" "$IMCLUSTER_ROOT/common/src/main" \
    "$IMCLUSTER_ROOT/broker-config/pom.xml" "$IMCLUSTER_ROOT/broker-config/src/main" -newer "$jar" -type f -print -quit)" ]
}

# Builds the broker, operator and node agent jars when stale (the operator's runtime classpath file comes with its
# jar), in one reactor build.
build_jars() {
  local stale=() m
  jar_stale broker-image && stale+=(broker-image)
  jar_stale node-agent && stale+=(node-agent)
  if jar_stale operator || [ ! -f "$IMCLUSTER_ROOT/operator/target/runtime-classpath.txt" ]; then stale+=(operator); fi
  [ ${#stale[@]} -eq 0 ] && return 0
  maven_package "$(IFS=,; echo "${stale[*]}")"
}

# Pids of the processes that run the local cluster in state directory $1: etcd, the control plane, the operator, the
# node agent and its pods (java, redis-server, nats-server, mosquitto). Each names a path in that directory in its command line
# (etcd's data, the API server's certificates, the agent's --state), its working directory (a pod's) or, for the
# operator, its KUBECONFIG. Other processes (a shell or an editor there) are never listed, nor this script's own.
state_processes() {
  local dir="${1%/}/" p pid comm
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    [ "$pid" = $$ ] && continue
    comm="$(cat "$p/comm" 2>/dev/null)" || continue
    case "$comm" in etcd|kube-apiserver|kube-controller|kube-controller-manager|python3|python*|java|redis-server|nats-server|mosquitto) ;;
      *) continue ;; esac
    if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF -- "$dir" \
        || [[ "$(readlink "$p/cwd" 2>/dev/null)/" == "$dir"* ]] \
        || { [ "$comm" = java ] && tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -q "^KUBECONFIG=$dir"; }; then
      echo "$pid"
    fi
  done
}

# Stops the given pids: SIGTERM, then SIGKILL after $1 seconds.
stop_pids() {
  local grace="$1"; shift
  [ $# -eq 0 ] && return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + grace)) p alive
  while :; do
    alive=(); for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    [ $SECONDS -ge $deadline ] && break
    sleep 0.5
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# One process at a time may change the local cluster in $IMCLUSTER_STATE (quickstart up, e2e/run.sh): a lock file
# that holds the owner's pid (no flock: the servers it starts would inherit the descriptor and hold the lock).
# A lock whose owner is gone is taken over. Fails when a live process holds it, naming that process.
lock_state() {
  local lock="${IMCLUSTER_STATE%/}.lock" holder pid
  mkdir -p "$(dirname "$lock")"
  if ! (set -o noclobber; echo "$$ $1, started $(date '+%H:%M:%S')" >"$lock") 2>/dev/null; then
    holder="$(cat "$lock" 2>/dev/null || true)"; pid="${holder%% *}"
    local script="${holder#* }"; script="${script%%[ ,]*}"; script="${script##*/}"
    # Alive, and still that script (not a new process that reused the pid).
    if [ -n "$pid" ] && [ "$pid" != $$ ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$script"; then
      die "the local cluster in $IMCLUSTER_STATE is busy: ${holder#* } (pid $pid) is using it; wait for it to end"
    fi
    echo "$$ $1, started $(date '+%H:%M:%S')" >"$lock"
  fi
}

# Stops every process of the local cluster in $IMCLUSTER_STATE: the node agent and its pods, the operator, the local
# brokers of e2e, the control plane, then whatever is left of it (a stray of a failed or interrupted run, a pod
# whose agent died). Fails when a process is still there. The state itself is kept.
stop_local_cluster() {
  local left
  "$IMCLUSTER_ROOT/hack/node-agent/node-agent.sh" stop || true
  "$IMCLUSTER_ROOT/e2e/operator-process.sh" stop || true
  "$IMCLUSTER_ROOT/e2e/brokers.sh" stop || true
  "$IMCLUSTER_ROOT/hack/local-cluster.sh" down || true
  left="$(state_processes "$IMCLUSTER_STATE" | tr '\n' ' ')"
  if [ -n "${left// }" ]; then
    log "stopping leftover processes of this cluster: $left"
    # shellcheck disable=SC2086  # a list of pids
    stop_pids 15 $left
  fi
  left="$(state_processes "$IMCLUSTER_STATE" | tr '\n' ' ')"
  [ -z "${left// }" ] || { log "processes of $IMCLUSTER_STATE still run: $left"; return 1; }
}
