# Redis HA through Sentinel on the local control plane, every pod a real process (the node agent, as in
# 70-node-agent). Beside the cluster run three redis-server data nodes (a master and two replicas) and three
# Sentinels, with passwords on both: the external Redis HA a team already runs. A PubSubCluster on Redis Streams
# reaches it through spec.redis.external.sentinel and acknowledges a push once a replica holds it
# (spec.config mq.redis.waitReplicas: 1). Under steady traffic to a goim WebSocket client and a gRPC subscriber on
# each comet, the master is SIGKILLed, comes back as a replica, and then a planned SENTINEL FAILOVER moves the master
# again: logic and job follow each new master with no restart, and every acknowledged push reaches every receiver
# (published = delivered).
local_node_up || return 0
ensure_pkgs redis-server:redis-server redis-cli:redis-tools

ns=e2e-redis-sentinel psc=rs
work="$(mktemp -d)"
password="data-$RANDOM$RANDOM" sentinel_password="sentinel-$RANDOM$RANDOM"
nodes=("$(free_port)" "$(free_port)" "$(free_port)") sentinels=("$(free_port)" "$(free_port)" "$(free_port)")

# node PORT [MASTER_PORT]   starts (again) the data node on PORT, a replica of MASTER_PORT if given.
node() {
  mkdir -p "$work/node-$1"
  setsid redis-server --bind 127.0.0.1 --port "$1" --dir "$work/node-$1" --appendonly yes --save '' \
    --requirepass "$password" --masterauth "$password" ${2:+--replicaof 127.0.0.1 "$2"} \
    >>"$work/node-$1.log" 2>&1 </dev/null &
  echo $! >"$work/node-$1.pid"; disown
}
sentinel() {
  mkdir -p "$work/sentinel-$1"
  cat >"$work/sentinel-$1/sentinel.conf" <<EOF
port $1
bind 127.0.0.1
dir $work/sentinel-$1
sentinel monitor mymaster 127.0.0.1 ${nodes[0]} 2
sentinel down-after-milliseconds mymaster 2000
sentinel failover-timeout mymaster 10000
sentinel auth-pass mymaster $password
requirepass $sentinel_password
sentinel sentinel-pass $sentinel_password
EOF
  setsid redis-server "$work/sentinel-$1/sentinel.conf" --sentinel >"$work/sentinel-$1.log" 2>&1 </dev/null &
  echo $! >"$work/sentinel-$1.pid"; disown
}
ask() { redis-cli -p "$1" -a "$2" --no-auth-warning "${@:3}"; }
master_port() { ask "${sentinels[0]}" "$sentinel_password" sentinel get-master-addr-by-name mymaster | tail -1; }
master_is_not() { local now; now="$(master_port)" && [ -n "$now" ] && [ "$now" != "$1" ]; }
is_replica() { ask "$1" "$password" info replication | tr -d '\r' | grep -q '^master_link_status:up'; }
sentinels_agree() { local s; for s in "${sentinels[@]}"; do
  ask "$s" "$sentinel_password" sentinel master mymaster | tr -d '\r' | paste - - | grep -qx $'num-slaves\t2' || return 1
  ask "$s" "$sentinel_password" sentinel master mymaster | tr -d '\r' | paste - - | grep -qx $'num-other-sentinels\t2' \
    || return 1; done; }
stop_redis() { local f; for f in "$work"/*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done; }
uids_and_restarts() { kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc" \
  -o jsonpath='{range .items[*]}{.metadata.uid}/{.status.containerStatuses[0].restartCount}{"\n"}{end}' | sort; }

node "${nodes[0]}"; node "${nodes[1]}" "${nodes[0]}"; node "${nodes[2]}" "${nodes[0]}"
for s in "${sentinels[@]}"; do sentinel "$s"; done
replicas_up() { is_replica "${nodes[1]}" && is_replica "${nodes[2]}"; }
t "3 redis-server data nodes replicate (a master and 2 replicas)" eventually 30 replicas_up
t "3 sentinels watch the master and know each other and both replicas" eventually 60 sentinels_agree

kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns create secret generic redis-auth --from-literal=password="$password" >/dev/null
kubectl -n $ns create secret generic sentinel-auth --from-literal=password="$sentinel_password" >/dev/null
apply_cluster <<YAML
  comet: {replicas: 2}
  logic: {replicas: 1}
  job: {replicas: 1}
  mq: {backend: redis}
  redis:
    external:
      sentinel:
        masterName: mymaster
        addresses: ["127.0.0.1:${sentinels[0]}", "127.0.0.1:${sentinels[1]}", "127.0.0.1:${sentinels[2]}"]
        passwordSecretRef: {name: sentinel-auth}
      passwordSecretRef: {name: redis-auth}
  config:
    mq: {redis: {waitReplicas: 1}}
YAML
t "the cluster on the Sentinel-run Redis reaches Ready=True" \
  kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
# found_master   the running logic and job pods each logged a connection to the master named by the sentinels.
found_master() { local p n=0
  for p in $(kubectl -n $ns get pods -o name | grep -E "/$psc-(logic|job)-"); do
    grep -q 'Redis master mymaster via sentinels .* connected' "$state/pods/${ns}_${p#pod/}/broker.log" && n=$((n + 1))
  done; [ $n = 2 ]; }
t "logic and job find the master through the sentinels" eventually 30 found_master
t "pushes reach goim WebSocket clients and a gRPC subscriber" demo

start_traffic "$work/traffic.log" "$work/stop"
t "traffic flows: every receiver on both comets gets a warm-up push" \
  eventually 150 grep -q '^publishing at' "$work/traffic.log"
pods_before="$(uids_and_restarts)"

first="$(master_port)"
t "the master is the first data node" test "$first" = "${nodes[0]}"
before_kill="$(acked)"
t "the master is SIGKILLed, under traffic" kill -KILL "$(cat "$work/node-$first.pid")"
t "the sentinels promote a replica" eventually 60 master_is_not "$first"
t "pushes are acknowledged again: logic found the new master" eventually 90 acked_over $((${before_kill:-0} + 50))
node "$first"
t "the old master comes back as a replica of the new one" eventually 60 is_replica "$first"

second="$(master_port)"
before_failover="$(acked)"
t "a planned failover (SENTINEL FAILOVER), under traffic" \
  equals OK ask "${sentinels[0]}" "$sentinel_password" sentinel failover mymaster
t "the sentinels move the master" eventually 60 master_is_not "$second"
t "pushes are acknowledged after the failover" eventually 90 acked_over $((${before_failover:-0} + 50))
t "no role pod restarted or was replaced" equals "$pods_before" uids_and_restarts

finish_traffic "across both failovers"

local_node_down
stop_redis
rm -rf "$work"
