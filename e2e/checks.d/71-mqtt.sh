# MQTT end to end on the local control plane, every pod a real process (the node agent, as in 70-node-agent): a
# PubSubCluster with mq.backend mqtt on the Mosquitto the operator runs (one user from a Secret) and comet's MQTT
# listener on. Messages pushed through logic's HTTP API travel through Mosquitto to job, and reach MQTT 5 clients,
# goim WebSocket clients and a gRPC subscriber on both comets, then again with internal mutual TLS switched on
# (Mosquitto serving TLS only from the cluster's CA); deleting the cluster stops every process.
local_node_up || return 0

ns=e2e-mqtt psc=mqtt-e2e  # not the example's name: the local node's hosts file maps short Service names across namespaces
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns create secret generic im-mqtt --from-literal=username=im \
  --from-literal=password="$(openssl rand -hex 16)" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
apply_cluster <<YAML
  comet: {replicas: 2, mqtt: {enabled: true}}
  logic: {replicas: 1}
  job: {replicas: 1}
  mq:
    backend: mqtt
    mqtt: {managed: true, authSecretRef: {name: im-mqtt}}
  redis: {managed: {}}
YAML

ready_pods() { serving_pod_ips $ns $psc "$1"; }
demo() { IMCLUSTER_PUSH_TOKEN="$(push_token)"; export IMCLUSTER_PUSH_TOKEN
  local args=(--push "http://$psc-logic.$ns.svc:3111" --grpc "dns:///$psc-comet.$ns.svc:3100" --messages 10 \
    --timeout 120) ip
  for ip in $(ready_pods comet); do args+=(--mqtt "tcp://$ip:1883" --ws "ws://$ip:3102/sub"); done
  java -Djdk.net.hosts.file="$hosts" -cp "$jar" dev.imcluster.broker.demo.DemoClient "${args[@]}"; }

t "the cluster on managed MQTT reaches Ready=True" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
t "the managed Mosquitto pod runs as a mosquitto process" eventually 30 bash -c \
  "pgrep -f 'mosquitto -c .*$state/pods/${ns}_$psc-mqtt-0' >/dev/null"
t "comet's Service exposes the MQTT port" equals 1883 jp "svc/$psc-comet" '{.spec.ports[?(@.name=="mqtt")].port}' -n $ns
t "pushes travel through Mosquitto and reach MQTT clients, goim WebSocket clients and a gRPC subscriber on both comets" demo

# Internal mutual TLS switched on in place: Mosquitto gets a certificate of the cluster's CA and serves TLS only, with
# client certificates and the password required; logic and job dial it over ssl:// with their role certificates, and
# pushes still travel through it to every kind of client.
kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"tls":{"internal":{"enabled":true}}}}' >/dev/null
t "internal TLS: Mosquitto's server certificate is issued" eventually 60 bash -c \
  "kubectl -n $ns get secret $psc-mqtt-internal-tls >/dev/null 2>&1"
t "internal TLS: Mosquitto's conf requires client certificates" eventually 60 bash -c \
  "kubectl -n $ns get sts $psc-mqtt -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"MOSQUITTO_CONF\")].value}' | grep -q 'require_certificate true'"
t "internal TLS: the managed Mosquitto rolled onto its certificate" \
  kubectl -n $ns rollout status statefulset/$psc-mqtt --timeout=300s
t "internal TLS: logic and job dial Mosquitto over ssl://" bash -c \
  "kubectl -n $ns get cm $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -q 'url: ssl://$psc-mqtt:1883'"
for role in comet logic job; do
  t "internal TLS: $role rolled out onto its certificate" kubectl -n $ns rollout status deployment/$psc-$role --timeout=300s
done
t "internal TLS: Ready=True again" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
t "internal TLS: pushes travel through Mosquitto over mTLS and reach every kind of client on both comets" demo

local_node_down
