#!/usr/bin/env bash
# The whole product on this machine, with no container runtime: the local control plane (hack/local-cluster.sh,
# built and cached on first use), the CRD and RBAC from the chart, the operator as a local process
# (e2e/operator-process.sh), the local node agent that runs the pods as processes (hack/node-agent/), and
# examples/quickstart.yaml. Then it pushes through logic's HTTP API and receives on goim WebSocket clients and a
# gRPC topic subscriber. `down` stops every process (the cluster's state is kept for a fast next `up`).
#
# Usage: hack/quickstart.sh up | down | demo | status
# Env:   QUICKSTART_NS (default), IMCLUSTER_STATE (the local cluster's state, default ~/.cache/imcluster/cluster)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

ns="${QUICKSTART_NS:-default}" psc=quickstart
release=imcluster operator_ns=imcluster-system
cluster_state="${IMCLUSTER_STATE:-$IMCLUSTER_CACHE/cluster}"
jar="$root/broker-image/target/imcluster-broker.jar"
hosts="$cluster_state/node-agent/hosts"

build_jars() {
  if [ ! -f "$jar" ] || [ -n "$(find "$root/broker-image/src" "$root/broker-image/pom.xml" -newer "$jar" -print -quit)" ]; then
    log "building the broker jar"
    (cd "$root" && ./mvnw -B -q -o -ntp -pl broker-image -DskipTests package) || die "the broker build failed"
  fi
  local op_state="$cluster_state/operator-$release" j
  for j in "$root"/operator/target/imcluster-operator-*.jar; do
    if [ -f "$j" ] && [ -f "$op_state/classpath" ] \
        && [ -z "$(find "$root/operator/src" "$root/operator/pom.xml" -newer "$j" -print -quit)" ]; then
      export E2E_OPERATOR_NO_BUILD=1
    fi
  done
}

# Pod IPs of a role, one per line (ready pods only).
pod_ips() { kubectl -n "$ns" get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=$1" \
  -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==true)]}{.status.podIP}{"\n"}{end}'; }

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

up() {
  local t0=$SECONDS
  build_jars
  eval "$("$root/hack/local-cluster.sh" up)"
  log "installing the CRD and RBAC (chart $release, the operator itself runs as a local process)"
  helm upgrade --install "$release" "$root/charts/imcluster-operator" --namespace "$operator_ns" \
    --create-namespace --set replicaCount=0 --set leaderElection=false --wait=false >/dev/null
  E2E_RELEASE=$release E2E_NAMESPACE=$operator_ns "$root/e2e/operator-process.sh" start
  "$root/hack/node-agent/node-agent.sh" start
  kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns" >/dev/null
  kubectl -n "$ns" apply --server-side -f "$root/examples/quickstart.yaml" >/dev/null
  log "waiting for PubSubCluster $ns/$psc to be Ready"
  if ! kubectl -n "$ns" wait "psc/$psc" --for=condition=Ready --timeout=300s >/dev/null; then
    kubectl -n "$ns" get psc,pods -o wide >&2 || true
    die "the PubSubCluster is not Ready after 300 s (node agent log: hack/node-agent/node-agent.sh log)"
  fi
  kubectl -n "$ns" get psc,pods -o wide
  log "publishing through logic's push API; receiving on goim WebSocket clients and a gRPC subscriber"
  demo --messages 5 --timeout 90
  log "up in $((SECONDS - t0)) s"
  cat <<EOF

imcluster is running on the local control plane; every pod is a local process on its own 127.0.0.N.
  eval "\$(hack/local-cluster.sh env)"        # kubectl and KUBECONFIG
  kubectl -n $ns get psc,pods -o wide          # the cluster and its pods (podIP = the process's address)
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"comet":{"replicas":4}}}'   # scale comet
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"mq":{"backend":"nats","nats":{"managed":true}}}}'  # swap the backend
  curl http://\$(kubectl -n $ns get pod -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].status.podIP}'):8080/metrics
  curl -X POST -H "Authorization: Bearer \$(kubectl -n $ns get secret $psc-internal-token -o jsonpath='{.data.token}' | base64 -d)" -d hello "http://\$(kubectl -n $ns get pod -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].status.podIP}'):3111/goim/push/room?operation=1000&type=live&room=1000"
  hack/quickstart.sh demo                      # push again and receive on every comet
  hack/node-agent/node-agent.sh log            # the agent; pod logs: $cluster_state/node-agent/pods/<ns>_<pod>/
  hack/quickstart.sh down                      # stop everything
EOF
}

down() {
  if "$root/hack/local-cluster.sh" status >/dev/null 2>&1; then
    eval "$("$root/hack/local-cluster.sh" env)"
    kubectl -n "$ns" delete psc "$psc" --ignore-not-found --wait=false >/dev/null || true
  fi
  "$root/hack/node-agent/node-agent.sh" stop
  E2E_RELEASE=$release E2E_NAMESPACE=$operator_ns "$root/e2e/operator-process.sh" stop
  "$root/hack/local-cluster.sh" down
  log "stopped: node agent, operator, control plane"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  demo) shift; eval "$("$root/hack/local-cluster.sh" env)"; demo --messages 5 --timeout 60 "$@" ;;
  status) eval "$("$root/hack/local-cluster.sh" env)"; "$root/hack/node-agent/node-agent.sh" status
          kubectl -n "$ns" get psc,pods -o wide ;;
  *) echo "usage: $0 up | down | demo | status" >&2; exit 2 ;;
esac
