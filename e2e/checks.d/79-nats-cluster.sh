# HA managed backends on the local control plane, every pod a real process (the node agent, as in 70-node-agent): a
# PubSubCluster on a single managed NATS server (JetStream on a PVC) and a managed Redis with persistence (storage:
# append-only file on a PVC) is scaled to 3 NATS servers (spec.mq.nats.replicas: 3). The servers form one JetStream
# cluster (every server routes to the other two, the meta group has 3 peers) and the stream is kept on 3 of them. Under steady traffic to a goim
# WebSocket client and a gRPC subscriber on each comet, `kubectl rollout restart` replaces every NATS server one after
# the other, then the Redis: every acknowledged push reaches every receiver (published = delivered). Lowering the
# replicas again is refused (a JetStream cluster does not shrink in place).
local_node_up || return 0

ns=e2e-nats-cluster psc=ha
work="$(mktemp -d)"
apply_cluster <<YAML
  comet: {replicas: 2}
  logic: {replicas: 1}
  job: {replicas: 1}
  mq:
    backend: nats
    nats: {managed: true, storage: 1Gi}
  redis: {managed: {storage: 1Gi}}
YAML

nats_ips() { kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=nats" \
  -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}'; }
# monitor PATH FIELD...   prints, for each NATS server, the JSON field at that path of its monitoring endpoint.
monitor() { local ip path="$1"; shift
  for ip in $(nats_ips); do curl -fsS "http://$ip:8222/$path" | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d = d[int(k)] if isinstance(d, list) else d.get(k, {})
print(d)' "$@"; done | sort | paste -sd' '; }
stream_replicas() { local ip
  for ip in $(nats_ips); do curl -fsS "http://$ip:8222/jsz?streams=true&config=true" | python3 -c 'import json, sys
d = json.load(sys.stdin)
for a in d.get("account_details", []):
    for s in a.get("stream_detail", []):
        print(s["name"], s["config"]["num_replicas"], 1 + len((s.get("cluster") or {}).get("replicas") or []))'
  done | sort -u | paste -sd' '; }
uids() { kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=$1" \
  -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort; }

t "the cluster on a single managed NATS server reaches Ready=True" \
  kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
t "pushes reach goim WebSocket clients and a gRPC subscriber through the single server" demo
# One server to three: the StatefulSet's serviceName (immutable) becomes the headless route Service, so the operator
# replaces the StatefulSet, leaving its pod running, and the new one adopts and rolls it.
single_uid="$(jp sts/$psc-nats '{.metadata.uid}' -n $ns)"
t "kubectl patch psc: spec.mq.nats.replicas 3" \
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"mq":{"nats":{"replicas":3}}}}'
t "the StatefulSet is replaced, governed by the headless route Service" eventually 120 bash -c \
  "[ \"\$(kubectl -n $ns get sts $psc-nats -o jsonpath='{.metadata.uid} {.spec.serviceName}' 2>/dev/null)\" != '$single_uid $psc-nats' ] && [ \"\$(kubectl -n $ns get sts $psc-nats -o jsonpath='{.spec.serviceName}')\" = $psc-nats-cluster ]"
t "the route Service publishes not-ready servers" equals true jp svc/$psc-nats-cluster '{.spec.publishNotReadyAddresses}' -n $ns
t "the NATS cluster rolls out: 3 servers ready" kubectl -n $ns rollout status statefulset/$psc-nats --timeout=600s
t "the cluster on a 3-server managed NATS is Ready=True" eventually 180 condition_is $ns $psc Ready True
t "3 nats-server processes run" eventually 60 equals 3 processes "$psc-nats-"
t "every NATS server routes to the other two" eventually 60 equals "2 2 2" monitor routez num_routes
t "one JetStream cluster: every server sees a meta group of 3" eventually 60 equals "3 3 3" monitor jsz meta_cluster cluster_size
t "pushes reach goim WebSocket clients and a gRPC subscriber" demo
t "the stream GOIM is kept on 3 servers (R3)" eventually 30 equals "GOIM 3 3" stream_replicas
t "the managed Redis persists to an append-only file" bash -c \
  "pgrep -af 'redis-server .*$state/pods/${ns}_$psc-redis-0' | grep -q -- '--appendonly yes'"

start_traffic "$work/traffic.log" "$work/stop"
t "traffic flows: every receiver on both comets gets a warm-up push" \
  eventually 150 grep -q '^publishing at' "$work/traffic.log"

nats_before="$(uids nats)"
t "kubectl rollout restart statefulset/$psc-nats, under traffic" kubectl -n $ns rollout restart statefulset/$psc-nats
t "the NATS servers are replaced one after the other" kubectl -n $ns rollout status statefulset/$psc-nats --timeout=600s
t "all 3 NATS servers are new pods" bash -c "[ -z \"\$(comm -12 <(echo '$nats_before') <(uids nats))\" ]"
t "after the restart, every server routes to the other two again" eventually 90 equals "2 2 2" monitor routez num_routes
redis_before="$(uids redis)"
t "kubectl rollout restart statefulset/$psc-redis, under traffic" kubectl -n $ns rollout restart statefulset/$psc-redis
t "the Redis is replaced" kubectl -n $ns rollout status statefulset/$psc-redis --timeout=300s
t "the Redis is a new pod" bash -c "[ '$redis_before' != \"\$(uids redis)\" ]"
t "the cluster is Ready after the restarts" eventually 180 condition_is $ns $psc Ready True
after_restarts="$(acked)"
t "pushes are acknowledged after the restarts" eventually 60 acked_over $((${after_restarts:-0} + 50))

finish_traffic "across the rolling restarts"

# A JetStream cluster does not shrink in place: lowering the replicas is refused, and nothing changes.
t "kubectl patch psc: spec.mq.nats.replicas 1" \
  kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"mq":{"nats":{"replicas":1}}}}'
t "shrinking the NATS cluster is refused: SpecValid=False, naming both sizes" eventually 60 bash -c \
  "kubectl -n $ns get psc $psc -o jsonpath='{.status.conditions[?(@.type==\"SpecValid\")].status} {.status.conditions[?(@.type==\"SpecValid\")].message}' | grep -q '^False .*cannot go from 3 to 1'"
t "the NATS StatefulSet keeps its 3 servers" equals 3 jp sts/$psc-nats '{.spec.replicas}' -n $ns
t "setting it back to 3 makes the spec valid again" bash -c \
  "kubectl -n $ns patch psc $psc --type merge -p '{\"spec\":{\"mq\":{\"nats\":{\"replicas\":3}}}}' >/dev/null"
t "SpecValid=True again" eventually 60 condition_is $ns $psc SpecValid True

local_node_down
rm -rf "$work"
