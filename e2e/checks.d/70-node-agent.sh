# The whole product on the local control plane: the operator as a local process (e2e/operator-process.sh) and the
# local node agent (hack/node-agent/) running every pod as a process on its own 127.0.0.N. Through kubectl:
# examples/quickstart.yaml reaches Ready with the right ready counts; messages pushed through logic reach goim
# WebSocket clients and a gRPC topic subscriber; comet scaled 2 -> 4 runs 4 comet processes and a broadcast reaches
# a client on each; back to 2, the drained clients reconnect and miss no message pushed after they reconnected; a
# killed process is restarted; internal mutual TLS switched on in place rolls the roles onto the operator's
# certificates and the managed Redis onto TLS only (client certificates required), and messages still flow (the
# quickstart's queue and sessions are that Redis); deleting the PubSubCluster stops every process.
# Skipped when the broker or node agent jar is missing and E2E_NODE_AGENT_BUILD=0. The agent's unit tests are JUnit
# tests of the node-agent module (./mvnw -B -pl node-agent -am test).
op="$E2E_ROOT/e2e/operator-process.sh" agent="$E2E_ROOT/hack/node-agent/node-agent.sh"
jar="$E2E_ROOT/broker-image/target/imcluster-broker.jar"
agent_jar="$E2E_ROOT/node-agent/target/imcluster-node-agent.jar"
state="${IMCLUSTER_STATE:?}/node-agent"
hosts="$state/hosts"
if [ ! -f "$jar" ] || [ ! -f "$agent_jar" ]; then
  if [ "${E2E_NODE_AGENT_BUILD:-1}" = 0 ]; then echo "     (skipped: no broker or node agent jar)"; return 0; fi
  maven_package broker-image,node-agent
fi
rc=0; "$op" start || rc=$?
if [ $rc = 3 ]; then echo "     (skipped: the operator module has nothing to run yet)"; return 0; fi
t "the operator process starts" test $rc = 0
t "the node agent starts and its node is Ready" "$agent" start
[ $rc = 0 ] || return 0

ns=e2e-node-agent psc=quickstart
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null

ready_pods() { serving_pod_ips $ns $psc "$1"; }

t "quickstart reaches Ready=True" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
for role in comet logic job; do
  t "status.$role.readyReplicas is 1" equals 1 jp psc/$psc "{.status.$role.readyReplicas}" -n $ns
done
t "the managed Redis pod runs as a redis-server process" eventually 30 bash -c \
  "pgrep -f 'redis-server .*$state/pods/${ns}_$psc-redis-0' >/dev/null"
t "every pod has its own loopback address" bash -c \
  "[ \$(kubectl -n $ns get pods -o jsonpath='{range .items[*]}{.status.podIP}{\"\\n\"}{end}' | sort -u | grep -c '^127\\.') = 4 ]"
t "the hosts file maps the logic Service to the logic pod" bash -c \
  "grep -q \"^\$(kubectl -n $ns get pods -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].status.podIP}') .*$psc-logic.$ns.svc\" '$hosts'"
t "messages pushed through logic reach a goim WebSocket client and a gRPC subscriber" demo

logic_pod="$(kubectl -n $ns get pods -l app.kubernetes.io/component=logic -o jsonpath='{.items[0].metadata.name}')"
kill -KILL "$(cat "$state/pods/${ns}_$logic_pod/pid")"
t "a crashed process is restarted: restartCount 1, Ready again" eventually 120 bash -c \
  "[ \"\$(kubectl -n $ns get pod $logic_pod -o jsonpath='{.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].ready}')\" = 1/true ]"

kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"comet":{"replicas":2}}}' >/dev/null
t "comet at 2 replicas: 2 ready comet pods" eventually 240 bash -c "[ \$(kubectl -n $ns get psc $psc -o jsonpath='{.status.comet.readyReplicas}') = 2 ]"
kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"comet":{"replicas":4}}}' >/dev/null
t "comet scaled 2 -> 4: 4 ready comet pods" eventually 300 bash -c "[ \$(kubectl -n $ns get psc $psc -o jsonpath='{.status.comet.readyReplicas}') = 4 ]"
t "comet scaled 2 -> 4: 4 comet processes" equals 4 processes comet
t "the headless Service names all 4 comet pods in the hosts file" eventually 30 bash -c \
  "[ \$(grep -c ' $psc-comet-headless.$ns.svc' '$hosts') = 4 ]"
t "a broadcast reaches a goim client on each of the 4 comets and a gRPC subscriber" demo

# 4 -> 2 with a client on each comet: the drained clients reconnect through the Service name, and none misses a
# message pushed after it reconnected.
follow_log="$(mktemp)"
follow_args=(--push "http://$psc-logic.$ns.svc:3111" --reconnect "ws://$psc-comet.$ns.svc:3102/sub" --seconds 75)
for ip in $(ready_pods comet); do follow_args+=(--ws "ws://$ip:3102/sub"); done
IMCLUSTER_PUSH_TOKEN="$(push_token)" java -Djdk.net.hosts.file="$hosts" -Dsun.net.inetaddr.ttl=0 -cp "$jar" \
  dev.imcluster.broker.demo.DemoFollower \
  "${follow_args[@]}" >"$follow_log" 2>&1 &
follower=$!
t "4 followers connected, one per comet" eventually 60 bash -c "[ \$(grep -c 'connection 1 authenticated' '$follow_log') = 4 ]"
kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"comet":{"replicas":2}}}' >/dev/null
t "comet scaled 4 -> 2: 2 comet processes left (preStop, then SIGTERM)" eventually 180 equals 2 processes comet
frc=0; wait $follower || frc=$?
t "comet 4 -> 2: the drained clients reconnected" bash -c "grep -q 'connection 2 authenticated' '$follow_log'"
t "comet 4 -> 2: every client is connected and missed no message pushed after it (re)connected" test $frc = 0
[ $frc = 0 ] || cat "$follow_log"
rm -f "$follow_log"
t "after 4 -> 2, new clients on the 2 comets and a gRPC subscriber get every message" demo

# Internal mutual TLS switched on in place: the operator issues the cluster's CA and a certificate per role, the
# roles roll onto them, and messages flow end to end again (comet -> logic and job -> comet over mTLS).
kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"tls":{"internal":{"enabled":true}}}}' >/dev/null
t "internal TLS: the CA and a certificate per role are issued as Secrets" eventually 60 bash -c \
  "kubectl -n $ns get secret $psc-internal-ca $psc-comet-internal-tls $psc-logic-internal-tls $psc-job-internal-tls >/dev/null 2>&1"
for role in comet logic job; do
  t "internal TLS: $role's pod template mounts its certificate" eventually 60 bash -c \
    "kubectl -n $ns get deploy $psc-$role -o jsonpath='{.spec.template.spec.volumes[*].name}' | grep -qw internal-tls"
  t "internal TLS: $role rolled out onto its certificate" kubectl -n $ns rollout status deployment/$psc-$role --timeout=300s
done
t "internal TLS: the managed Redis's server certificate is issued" eventually 60 bash -c \
  "kubectl -n $ns get secret $psc-redis-internal-tls >/dev/null 2>&1"
t "internal TLS: the managed Redis rolled onto its certificate" kubectl -n $ns rollout status statefulset/$psc-redis --timeout=300s
t "internal TLS: the managed Redis runs TLS only, client certificates required" eventually 60 bash -c \
  "pgrep -af 'redis-server .*$state/pods/${ns}_$psc-redis-0' | grep -- '--port 0 --tls-port 6379' | grep -q -- '--tls-auth-clients yes'"
t "internal TLS: the roles dial the managed Redis over TLS" bash -c \
  "kubectl -n $ns get cm $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -A1 'address: $psc-redis:6379' | grep -q 'tls: true'"
t "internal TLS: Ready=True again" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
internal_cert_in_use() { local ip port
  port=$(kubectl -n $ns get deploy $psc-$1 -o jsonpath='{.spec.template.spec.containers[0].ports[?(@.name=="admin")].containerPort}')
  for ip in $(ready_pods $1); do
    curl -fsS "http://$ip:$port/metrics" | grep -q '^imcluster_tls_certificate_not_after_seconds{.*certificate="internal"' || return 1
  done; }
for role in comet logic job; do
  t "internal TLS: every $role pod presents the internal certificate" eventually 60 internal_cert_in_use $role
done
t "internal TLS: messages pushed through logic reach goim WebSocket clients and a gRPC subscriber" demo

local_node_down
