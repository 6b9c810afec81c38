#!/usr/bin/env bash
# A local Kubernetes control plane made of real processes: etcd, kube-apiserver and kube-controller-manager
# (no scheduler, no kubelet: Pods stay Pending unless a node agent binds and runs them).
#
# Usage: hack/local-cluster.sh up | down [--purge] | env | status | restart-apiserver [--kill]
#   up      builds/fetches the binaries if needed (hack/k8s-binaries.sh), starts everything, waits for
#           /readyz, prints `export KUBECONFIG=...`. Does nothing but print the env when already up.
#   down    stops the processes (SIGTERM, then SIGKILL after a grace period); --purge also removes the state.
#   env     prints the shell exports (KUBECONFIG, PATH with the cached kubectl and helm).
#   status  shows the processes and the apiserver's readiness; exit 1 when not ready.
#   restart-apiserver [--kill]  stops kube-apiserver (SIGTERM; --kill: SIGKILL) and starts it again (fault tests).
# Env: IMCLUSTER_STATE (default ~/.cache/imcluster/cluster), IMCLUSTER_APISERVER_PORT, IMCLUSTER_ETCD_PORT,
#      IMCLUSTER_ETCD_PEER_PORT (free loopback ports chosen and remembered when unset),
#      IMCLUSTER_SERVICE_CIDR (default 10.96.0.0/16, only allocated, never routed),
#      IMCLUSTER_CONTROLLERS (kube-controller-manager --controllers, default "*").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"

STATE="$IMCLUSTER_STATE"
PKI="$STATE/pki"
KUBECONFIG_FILE="$STATE/kubeconfig"
SERVICE_CIDR="${IMCLUSTER_SERVICE_CIDR:-10.96.0.0/16}"
KUBECTL="$TOOLS_BIN_DIR/kubectl"
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

pid_of() { cat "$STATE/run/$1.pid" 2>/dev/null || true; }

# True when the recorded pid is alive and still runs the component (guards against pid reuse).
running() {
  local pid cmd; pid="$(pid_of "$1")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # No `| grep -q` here: under pipefail, tr's SIGPIPE would make a match look like a failure.
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"$1"* ]]
}

ready() { [ -f "$KUBECONFIG_FILE" ] && "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz >/dev/null 2>&1; }

# Starts "$@" detached in its own session, logging to $STATE/logs/<name>.log, pid in $STATE/run/<name>.pid.
start() {
  local name="$1"; shift
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$STATE/run/$name.pid"
}

stop() {
  local name="$1" pid
  running "$name" || { rm -f "$STATE/run/$name.pid"; return 0; }
  pid="$(pid_of "$name")"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 20 bash -c "! kill -0 $pid"; then
    log "$name did not stop in 20 s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 bash -c "! kill -0 $pid" || true
  fi
  rm -f "$STATE/run/$name.pid"
}

# Chooses the ports once and remembers them, so etcd's member URLs stay stable across restarts.
load_ports() {
  [ -f "$STATE/ports.env" ] && . "$STATE/ports.env"
  APISERVER_PORT="${IMCLUSTER_APISERVER_PORT:-${APISERVER_PORT:-$(free_port)}}"
  ETCD_PORT="${IMCLUSTER_ETCD_PORT:-${ETCD_PORT:-$(free_port)}}"
  ETCD_PEER_PORT="${IMCLUSTER_ETCD_PEER_PORT:-${ETCD_PEER_PORT:-$(free_port)}}"
  printf 'APISERVER_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" \
    >"$STATE/ports.env"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# CA, apiserver serving certificate, service-account key pair and the static tokens (created once).
make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=imcluster-local-ca" \
      -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  fi
  if [ ! -f "$PKI/apiserver.crt" ]; then
    local first_ip; first_ip="$(echo "$SERVICE_CIDR" | awk -F'[./]' '{ printf "%s.%s.%s.%d", $1, $2, $3, $4 + 1 }')"
    cat >"$PKI/apiserver.ext" <<EOF
subjectAltName=IP:127.0.0.1,IP:$first_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment
EOF
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
      -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 3650 -extfile "$PKI/apiserver.ext" -out "$PKI/apiserver.crt" 2>/dev/null
  fi
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  if [ ! -f "$PKI/tokens.csv" ]; then
    local admin cm
    admin="$(openssl rand -hex 24)"; cm="$(openssl rand -hex 24)"
    # token,user,uid,"groups"
    printf '%s,admin,admin,"system:masters"\n%s,system:kube-controller-manager,kcm\n' "$admin" "$cm" \
      >"$PKI/tokens.csv"
  fi
}

token_of() { awk -F, -v u="$1" '$2 == u { print $1 }' "$PKI/tokens.csv"; }

write_kubeconfig() {
  local file="$1" user="$2"
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: imcluster-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $user
  user:
    token: $(token_of "$user")
contexts:
- name: imcluster-local
  context: {cluster: imcluster-local, user: $user, namespace: default}
current-context: imcluster-local
EOF
  chmod 600 "$file.tmp"; mv "$file.tmp" "$file"
}

print_env() {
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
  echo "export PATH=$TOOLS_BIN_DIR:\$PATH"
}

start_apiserver() {
  start kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --token-auth-file "$PKI/tokens.csv" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none --profiling=false
}

# Stops kube-apiserver (SIGTERM, or SIGKILL with --kill) and starts it again on the same port and data; the other
# components and every client see a real outage (refused connections, broken watches) and must recover by themselves.
restart_apiserver() {
  running kube-apiserver || die "kube-apiserver is not running (hack/local-cluster.sh up)"
  load_ports
  local t0=$SECONDS pid
  if [ "${1:-}" = "--kill" ]; then
    pid="$(pid_of kube-apiserver)"; kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 bash -c "! kill -0 $pid" || true
    rm -f "$STATE/run/kube-apiserver.pid"
  else
    stop kube-apiserver
  fi
  wait_for 20 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$APISERVER_PORT) 2>/dev/null" || die "port $APISERVER_PORT still busy"
  log "kube-apiserver stopped"
  start_apiserver
  if ! wait_for 90 ready; then
    show_log_tail "$STATE/logs/kube-apiserver.log"; die "kube-apiserver not ready after 90 s"
  fi
  log "kube-apiserver restarted, ready again $((SECONDS - t0)) s after the stop began"
}

up() {
  "$here/k8s-binaries.sh" ensure
  ensure_pkgs openssl:openssl setsid:util-linux python3:python3
  mkdir -p "$STATE/run" "$STATE/logs"
  if ready && running kube-controller-manager; then log "already up"; print_env; return 0; fi
  # Partially up (for example after a crash): restart cleanly, keeping the data.
  local c; for c in kube-controller-manager kube-apiserver etcd; do stop "$c"; done

  load_ports
  for p in "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT"; do
    port_busy "$p" && die "port $p on 127.0.0.1 is in use by $(port_owner "$p") (stop it, or rm $STATE/ports.env to pick other ports)"
  done
  make_pki
  local t0=$SECONDS

  start etcd etcd --name imcluster --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "imcluster=http://127.0.0.1:$ETCD_PEER_PORT" --logger zap --log-level warn
  wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ETCD_PORT" || { show_log_tail "$STATE/logs/etcd.log" 20; die "etcd did not start"; }

  start_apiserver

  write_kubeconfig "$KUBECONFIG_FILE" admin
  write_kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager
  if ! wait_for 90 ready; then
    show_log_tail "$STATE/logs/kube-apiserver.log"; die "kube-apiserver not ready after 90 s"
  fi
  log "kube-apiserver ready in $((SECONDS - t0)) s on https://127.0.0.1:$APISERVER_PORT"

  start kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --controllers "${IMCLUSTER_CONTROLLERS:-*}" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port 0 --port 0 --profiling=false
  # Ready for workloads once the service-account controller has made the default ServiceAccount.
  if ! wait_for 60 "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" -n default get serviceaccount default; then
    show_log_tail "$STATE/logs/kube-controller-manager.log"; die "kube-controller-manager is not working"
  fi
  log "control plane up in $((SECONDS - t0)) s (state: $STATE)"
  print_env
}

down() {
  local c
  for c in kube-controller-manager kube-apiserver etcd; do stop "$c"; done
  if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE"; log "state removed"; fi
  log "down"
}

status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if running "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: stopped"; rc=1; fi
  done
  if ready; then echo "apiserver: ready ($(grep -o 'https://[^ ]*' "$KUBECONFIG_FILE"))"; else echo "apiserver: not ready"; rc=1; fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  env) print_env ;;
  status) status ;;
  restart-apiserver) shift; restart_apiserver "$@" ;;
  *) echo "usage: $0 up | down [--purge] | env | status | restart-apiserver [--kill]" >&2; exit 2 ;;
esac
