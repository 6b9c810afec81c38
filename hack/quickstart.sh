#!/usr/bin/env bash
# The whole product on this machine, with no container runtime: the local control plane (hack/local-cluster.sh,
# built and cached on first use), the CRD and RBAC from the chart, the operator as a local process
# (e2e/operator-process.sh), the local node agent that runs the pods as processes (hack/node-agent/), and
# examples/quickstart.yaml. Then it pushes through logic's HTTP API and receives on goim WebSocket clients and a
# gRPC topic subscriber. `down` stops every process (the cluster's state is kept for a fast next `up`).
#
# Usage: hack/quickstart.sh up | down | demo | status
#   up      builds what is missing (online; IMCLUSTER_OFFLINE=1: Maven offline), starts everything, waits for Ready and
#           shows a push arriving. On a cluster that is already up and Ready it says so and exits 0. It refuses to
#           run beside another `up` or an e2e run on the same state, and stops stray processes of that state first.
#   down    stops every process of the local cluster (even after a failed `up`), then checks that none is left.
#   demo    pushes again and receives on every comet.
#   status  what runs; exit 0 when the PubSubCluster is Ready.
# Env:   QUICKSTART_NS (default), IMCLUSTER_STATE (the local cluster's state, default ~/.cache/imcluster/cluster)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

ns="${QUICKSTART_NS:-default}" psc=quickstart
release=imcluster operator_ns=imcluster-system
export IMCLUSTER_STATE E2E_RELEASE=$release E2E_NAMESPACE=$operator_ns
jar="$root/broker-image/target/imcluster-broker.jar"
hosts="$IMCLUSTER_STATE/node-agent/hosts"
agent="$root/hack/node-agent/node-agent.sh" operator="$root/e2e/operator-process.sh"

# Pod IPs of a role, one per line (ready pods only).
pod_ips() { kubectl -n "$ns" get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=$1" \
  -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==true)]}{.status.podIP}{"\n"}{end}'; }

# True when every pod of the cluster is ready in a container started at or after $1 (an RFC 3339 time in UTC).
pods_started_since() {
  local lines
  lines="$(kubectl -n "$ns" get pods -l "app.kubernetes.io/instance=$psc" -o jsonpath='{range .items[*]}{.status.containerStatuses[0].ready} {.status.containerStatuses[0].state.running.startedAt}{"\n"}{end}')"
  [ -n "$lines" ] && ! printf '%s\n' "$lines" | awk -v since="$1" '$1 != "true" || $2 < since { bad = 1 } END { exit !bad }'
}

psc_ready() {
  [ "$(kubectl -n "$ns" get psc "$psc" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# DemoClient: a goim WebSocket client on each comet pod, a gRPC subscriber through the comet Service name
# (resolved by the node agent's hosts file), publishing through the logic Service name.
demo() {
  # logic's push API wants the cluster's internal token (a Secret the operator generated).
  IMCLUSTER_PUSH_TOKEN="$(kubectl -n "$ns" get secret "$psc-internal-token" -o jsonpath='{.data.token}' | base64 -d)"
  export IMCLUSTER_PUSH_TOKEN
  local args=(--push "http://$psc-logic.$ns.svc:3111" --grpc "dns:///$psc-comet.$ns.svc:3100" "$@") ip
  for ip in $(pod_ips comet); do args+=(--ws "ws://$ip:3102/sub"); done
  java -Djdk.net.hosts.file="$hosts" -cp "$jar" dev.imcluster.broker.demo.DemoClient "${args[@]}"
}

next_steps() {
  cat <<EOF

imcluster is running on the local control plane; every pod is a local process on its own 127.0.0.N.
  eval "\$(hack/local-cluster.sh env)"        # kubectl and KUBECONFIG
  kubectl -n $ns get psc,pods -o wide          # the cluster and its pods (podIP = the process's address)
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"comet":{"replicas":4}}}'   # scale comet
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"mq":{"backend":"nats","nats":{"managed":true}}}}'  # swap the backend
  curl http://\$(kubectl -n $ns get pod -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].status.podIP}'):8080/metrics
  curl -X POST -H "Authorization: Bearer \$(kubectl -n $ns get secret $psc-internal-token -o jsonpath='{.data.token}' | base64 -d)" -d hello "http://\$(kubectl -n $ns get pod -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].status.podIP}'):3111/goim/push/room?operation=1000&type=live&room=1000"
  hack/quickstart.sh demo                      # push again and receive on every comet
  hack/quickstart.sh status                    # what runs
  hack/node-agent/node-agent.sh log            # the agent; pod logs: $IMCLUSTER_STATE/node-agent/pods/<ns>_<pod>/
  hack/quickstart.sh down                      # stop everything
EOF
}

# Processes of this cluster's state that no live owner accounts for: left by a run that died, or by another clone
# whose state was purged under them. They would fight ours for the same node and pod addresses.
stop_strays() {
  local recorded=" " f p strays=()
  for f in "$IMCLUSTER_STATE"/run/*.pid "$IMCLUSTER_STATE"/operator-*/pid "$IMCLUSTER_STATE"/node-agent/pid; do
    [ -f "$f" ] && recorded+="$(cat "$f") "
  done
  local agent_alive=0
  "$agent" status >/dev/null 2>&1 && agent_alive=1
  for p in $(state_processes "$IMCLUSTER_STATE"); do
    [[ "$recorded" == *" $p "* ]] && continue
    # A pod process is the live agent's business.
    [ $agent_alive = 1 ] && [[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" == "$IMCLUSTER_STATE/node-agent/pods/"* ]] \
      && continue
    strays+=("$p")
    log "stopping a stray process of this cluster: pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-150)"
  done
  stop_pids 15 ${strays[@]+"${strays[@]}"}
}

up() {
  local t0=$SECONDS
  lock_state "hack/quickstart.sh up"
  if "$root/hack/local-cluster.sh" status >/dev/null 2>&1; then
    eval "$("$root/hack/local-cluster.sh" env)"
    if "$operator" status >/dev/null 2>&1 && "$agent" status >/dev/null 2>&1 && psc_ready; then
      log "already up: PubSubCluster $ns/$psc is Ready (hack/quickstart.sh demo pushes again, down stops it)"
      status
      return 0
    fi
  fi
  stop_strays
  build_jars
  eval "$("$root/hack/local-cluster.sh" up)"
  log "installing the CRD and RBAC (chart $release, the operator itself runs as a local process)"
  helm upgrade --install "$release" "$root/charts/imcluster-operator" --namespace "$operator_ns" \
    --create-namespace --set replicaCount=0 --set leaderElection=false --wait=false >/dev/null
  E2E_OPERATOR_NO_BUILD=1 "$operator" start
  local agent_since=""
  "$agent" status >/dev/null 2>&1 || agent_since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  "$agent" start
  kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns" >/dev/null
  kubectl -n "$ns" apply --server-side -f "$root/examples/quickstart.yaml" >/dev/null
  log "waiting for PubSubCluster $ns/$psc to be Ready (about 30 s)"
  # A new agent restarts every pod of an existing cluster: until it reports them, their status is the old one.
  if ! { [ -z "$agent_since" ] || wait_for 300 pods_started_since "$agent_since"; } \
      || ! kubectl -n "$ns" wait "psc/$psc" --for=condition=Ready --timeout=300s >/dev/null; then
    kubectl -n "$ns" get psc,pods -o wide >&2 || true
    show_log_tail "$IMCLUSTER_STATE/node-agent/agent.log" 20
    die "the PubSubCluster is not Ready after 300 s (operator log: e2e/operator-process.sh log)"
  fi
  kubectl -n "$ns" get psc,pods -o wide
  log "publishing through logic's push API; receiving on goim WebSocket clients and a gRPC subscriber"
  demo --messages 5 --timeout 90 || die "not every client received every message (node agent log: $agent log)"
  log "up in $(human_time $((SECONDS - t0)))"
  next_steps
}

down() {
  local t0=$SECONDS
  if "$root/hack/local-cluster.sh" status >/dev/null 2>&1; then
    eval "$("$root/hack/local-cluster.sh" env)"
    kubectl -n "$ns" delete psc "$psc" --ignore-not-found --wait=false >/dev/null || true
  fi
  stop_local_cluster || die "processes of $IMCLUSTER_STATE still run after down"
  log "stopped in $(human_time $((SECONDS - t0))): node agent and pods, operator, control plane (state kept in $IMCLUSTER_STATE)"
}

# What runs; exit 0 when the PubSubCluster is Ready.
status() {
  local rc=0 line
  "$root/hack/local-cluster.sh" status || rc=1
  if line="$("$operator" status 2>&1)"; then echo "operator: $line"; else echo "operator: $line"; rc=1; fi
  if line="$("$agent" status 2>&1)"; then echo "node agent: $line"; else echo "node agent: $line"; rc=1; fi
  echo "processes of this cluster: $(state_processes "$IMCLUSTER_STATE" | wc -l)"
  if [ $rc = 0 ]; then
    eval "$("$root/hack/local-cluster.sh" env)"
    kubectl -n "$ns" get psc,pods -o wide 2>/dev/null || true
    psc_ready || rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  demo) shift; eval "$("$root/hack/local-cluster.sh" env)"; demo --messages 5 --timeout 60 "$@" ;;
  status) status ;;
  *) echo "usage: $0 up | down | demo | status" >&2; exit 2 ;;
esac
