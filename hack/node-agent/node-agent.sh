#!/usr/bin/env bash
# Starts/stops the local node agent (the node-agent module, java -jar node-agent/target/imcluster-node-agent.jar), a
# LOCAL/TEST TOOL that runs the imcluster operator's pods as processes on the local control plane
# (hack/local-cluster.sh). See hack/node-agent/README.md.
#
# Usage: hack/node-agent/node-agent.sh start | stop | status | log | hosts
# Env:   IMCLUSTER_STATE (the local cluster's state dir), KUBECONFIG, BROKER_JAR (broker-image/target/imcluster-broker.jar),
#        NODE_AGENT_JAR (node-agent/target/imcluster-node-agent.jar)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

cluster_state="$IMCLUSTER_STATE"
state="$cluster_state/node-agent"
[ -n "${KUBECONFIG:-}" ] || export KUBECONFIG="$cluster_state/kubeconfig"
jar="${BROKER_JAR:-$root/broker-image/target/imcluster-broker.jar}"
agent_jar="${NODE_AGENT_JAR:-$root/node-agent/target/imcluster-node-agent.jar}"
# Pod addresses: 127.0.0.N for the default state dir, 127.X.0.N (X from the state dir's path) for any other, so the
# node agents of several local clusters on one machine (IMCLUSTER_STATE) never hand out the same address.
if [ "$cluster_state" = "$IMCLUSTER_CACHE/cluster" ]; then
  ip_base=127.0.0.
else
  ip_base="127.$(( $(printf %s "$cluster_state" | cksum | cut -d' ' -f1) % 200 + 50 )).0."
fi

running() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

start() {
  ensure_pkgs redis-server:redis-server nats-server:nats-server /usr/sbin/mosquitto:mosquitto
  (service mosquitto stop || true) >/dev/null 2>&1  # the package's own broker; pods run their own
  [ -f "$jar" ] || die "no broker jar at $jar (./mvnw -B -pl broker-image -am -DskipTests package)"
  [ -f "$agent_jar" ] || die "no node agent jar at $agent_jar (./mvnw -B -pl node-agent -am -DskipTests package)"
  mkdir -p "$state"
  if running; then log "node agent already running (pid $(cat "$state/pid"))"; return 0; fi
  kill_leftovers
  # A small JVM: it only watches pods and Services and supervises processes.
  setsid java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$agent_jar" --kubeconfig "$KUBECONFIG" \
    --state "$state" --broker-jar "$jar" --ip-base "$ip_base" >>"$state/agent.log" 2>&1 </dev/null &
  echo $! >"$state/pid"
  wait_for 30 "$root/hack/node-agent/node-agent.sh" status >/dev/null 2>&1 \
    || { tail -20 "$state/agent.log" >&2; die "the node agent did not register its node"; }
  log "node agent running (pid $(cat "$state/pid"), pods and logs under $state/pods, hosts file $state/hosts)"
}

# Pod processes left behind by an agent that died (their pid files), killed with their process group.
kill_leftovers() {
  local f p
  for f in "$state"/pods/*/pid; do
    [ -f "$f" ] || continue
    p="$(cat "$f")"
    if kill -0 "$p" 2>/dev/null; then log "killing leftover pod process $p ($f)"; kill -KILL -- "-$p" 2>/dev/null || true; fi
    rm -f "$f"
  done
}

# SIGTERM makes the agent stop every pod process (SIGTERM, then SIGKILL after 10 s).
stop() {
  if running; then
    local pid; pid="$(cat "$state/pid")"
    kill -TERM "$pid"
    wait_for 60 bash -c "! kill -0 $pid 2>/dev/null" || { log "node agent still running; SIGKILL"; kill -KILL "$pid" || true; }
  fi
  rm -f "$state/pid"
  kill_leftovers
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    running || { echo stopped; exit 1; }
    [ "$(kubectl get node imcluster-local-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] \
      || { echo "running (pid $(cat "$state/pid")), node not Ready"; exit 1; }
    echo "running (pid $(cat "$state/pid")), node Ready" ;;
  log) cat "$state/agent.log" ;;
  hosts) cat "$state/hosts" ;;
  *) echo "usage: $0 start | stop | status | log | hosts" >&2; exit 2 ;;
esac
