# Every other example, applied with kubectl and reconciled by the operator: production's Secrets are created
# first (until they exist the cluster is SpecValid=False and nothing is created).
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-examples-op
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
work="$(mktemp -d)"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=im.example -days 2 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
openssl rsa -in "$work/tls.key" -pubout -out "$work/jwt-public.pem" 2>/dev/null
{
  kubectl -n $ns create secret generic im-redis --from-literal=password=e2e-redis-password --dry-run=client -o yaml
  echo ---
  kubectl -n $ns create secret generic im-kafka --from-literal=username=im --from-literal=password=e2e-kafka --dry-run=client -o yaml
  echo ---
  kubectl -n $ns create secret generic im-mqtt --from-literal=username=im --from-literal=password=e2e-mqtt --dry-run=client -o yaml
  echo ---
  kubectl -n $ns create secret generic im-jwt --from-file=public.pem="$work/jwt-public.pem" --dry-run=client -o yaml
  echo ---
  kubectl -n $ns create secret tls im-tls --cert="$work/tls.crt" --key="$work/tls.key" --dry-run=client -o yaml
} | kubectl apply -f - >/dev/null
rm -rf "$work"

for f in kafka nats mqtt production; do
  t "kubectl apply examples/$f.yaml" kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/$f.yaml"
done
for psc in kafka-im nats-im mqtt-im im-prod; do
  t "$psc: SpecValid=True" eventually 90 condition_is $ns $psc SpecValid True
  for role in comet logic job; do
    t "$psc: the $role Deployment appears, controlled by the PubSubCluster" eventually 90 owned $ns $psc deployment/$psc-$role
  done
  t "$psc: observedGeneration is set" eventually 60 bash -c "[ -n \"\$(kubectl -n $ns get psc $psc -o jsonpath='{.status.observedGeneration}')\" ]"
done
t "kafka-im: managed Redis, no NATS" bash -c "kubectl -n $ns get statefulset kafka-im-redis && ! kubectl -n $ns get statefulset kafka-im-nats 2>/dev/null"
t "nats-im: the managed NATS StatefulSet and Service" bash -c \
  "$(declare -f owned); owned $ns nats-im statefulset/nats-im-nats && owned $ns nats-im service/nats-im-nats"
t "mqtt-im: the managed Mosquitto StatefulSet and Service, no NATS" bash -c \
  "$(declare -f owned); owned $ns mqtt-im statefulset/mqtt-im-mqtt && owned $ns mqtt-im service/mqtt-im-mqtt && ! kubectl -n $ns get statefulset mqtt-im-nats 2>/dev/null"
t "mqtt-im: comet's Service has the mqtt port" equals "1883" \
  jp service/mqtt-im-comet '{.spec.ports[?(@.name=="mqtt")].port}' -n $ns
t "im-prod: comet's Service is a LoadBalancer with the example's annotation" equals "LoadBalancer nlb" \
  jp service/im-prod-comet '{.spec.type} {.metadata.annotations.service\.beta\.kubernetes\.io/aws-load-balancer-type}' -n $ns
t "im-prod: NetworkPolicies, controlled by the PubSubCluster" eventually 60 bash -c \
  "$(declare -f owned); for n in \$(kubectl -n $ns get networkpolicies -l app.kubernetes.io/instance=im-prod -o name); do owned $ns im-prod \$n || exit 1; done; [ -n \"\$n\" ]"
t "im-prod: comet runs 6 replicas" equals 6 jp deployment/im-prod-comet '{.spec.replicas}' -n $ns
t "im-prod: no managed Redis (external)" bash -c "! kubectl -n $ns get statefulset im-prod-redis 2>/dev/null"
t "im-prod: no ServiceMonitor CRD here, so the pods carry prometheus.io annotations" equals true \
  jp deployment/im-prod-logic '{.spec.template.metadata.annotations.prometheus\.io/scrape}' -n $ns
