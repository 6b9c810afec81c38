#!/usr/bin/env bash
# Runs one broker of each role (comet, logic, job) as local processes from broker-image/target/imcluster-broker.jar,
# with a throw-away redis-server as session store and queue: there is no kubelet here to run the pods, and the
# e2e Prometheus check needs a real broker of each role to scrape. A test tool.
#
# Usage: e2e/brokers.sh start | stop | urls
#   urls   prints each broker's admin /metrics URL, one per line
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/hack/lib.sh"

state="$IMCLUSTER_STATE/brokers"
jar="$root/broker-image/target/imcluster-broker.jar"
roles=(logic comet job)

alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
admin_port() { grep -o -m1 "admin on :[0-9]*" "$state/$1.log" 2>/dev/null | grep -o '[0-9]*$'; }

stop() {
  local p pid
  for p in job comet logic redis; do
    [ -f "$state/$p.pid" ] || continue
    pid="$(cat "$state/$p.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 30 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$state/$p.pid"
  done
}

start() {
  ensure_pkgs redis-server:redis-server curl:curl
  [ -f "$jar" ] || die "no $jar: build it with mvn -B -DskipTests package"
  stop
  mkdir -p "$state"
  local redis lh lg ct cw cg cp
  redis="$(free_port)" lh="$(free_port)" lg="$(free_port)" ct="$(free_port)" cw="$(free_port)" cg="$(free_port)" \
    cp="$(free_port)"
  setsid redis-server --bind 127.0.0.1 --port "$redis" --save '' --appendonly no >"$state/redis.log" 2>&1 </dev/null &
  echo $! >"$state/redis.pid"
  cat >"$state/broker.yaml" <<YAML
bindAddress: 127.0.0.1
admin: {port: 0}
redis: {address: "127.0.0.1:$redis"}
mq: {backend: redis}
logic:
  sessionStore: redis
  auth: {mode: goim}
  http: {port: $lh}
  grpc: {port: $lg}
comet:
  logicAddress: "127.0.0.1:$lg"
  tcp: {port: $ct}
  websocket: {port: $cw}
  grpc: {port: $cg}
  pubsubGrpc: {port: $cp}
  # Test clients all connect from 127.0.0.1: no per-address connect limit.
  connectRateLimit: {rate: 0}
job:
  comets: {mode: static, addresses: ["127.0.0.1:$cg"]}
YAML
  local role
  for role in "${roles[@]}"; do
    setsid java -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" "$role" --config "$state/broker.yaml" \
      >"$state/$role.log" 2>&1 </dev/null &
    echo $! >"$state/$role.pid"
  done
  for role in "${roles[@]}"; do
    started() { ! alive "$role" || { local p; p="$(admin_port "$role")" && curl -fsS "http://127.0.0.1:$p/metrics" >/dev/null; }; }
    wait_for 90 started || true
    if ! alive "$role" || [ -z "$(admin_port "$role")" ]; then
      tail -20 "$state/$role.log" >&2; stop; die "the $role broker did not start"
    fi
  done
  log "brokers running: $(for r in "${roles[@]}"; do printf '%s :%s ' "$r" "$(admin_port "$r")"; done)(logs in $state)"
}

urls() { local r; for r in "${roles[@]}"; do echo "http://127.0.0.1:$(admin_port "$r")/metrics"; done; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  urls) urls ;;
  *) echo "usage: $0 start | stop | urls" >&2; exit 2 ;;
esac
