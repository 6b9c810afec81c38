# Invalid resources: the schema rejects what it can express (kubectl apply fails); the reconciler flags the
# rest with SpecValid=False and creates nothing: a missing Secret, and the CEL rules that 1.20 does not enforce.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-invalid
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
psc() { printf 'apiVersion: pubsub.imcluster.dev/v1alpha1\nkind: PubSubCluster\nmetadata: {name: %s}\nspec: %s\n' "$1" "$2" |
  kubectl -n $ns apply --server-side -f - 2>&1; }
rejected() { local out; if out="$(psc "$@")"; then echo "accepted: $out"; return 1; fi; echo "$out" | grep -q 'Invalid value\|Unsupported value\|should match\|must be\|spec\.' || { echo "$out"; return 1; }; }

t "schema: an unknown backend is rejected" rejected bad1 '{mq: {backend: rabbitmq}}'
t "schema: negative replicas are rejected" rejected bad2 '{comet: {replicas: -1}}'
t "schema: a malformed duration is rejected" rejected bad3 '{job: {roomBatch: {maxDelay: soon}}}'
t "schema: an unknown comet Service type is rejected" rejected bad4 '{comet: {service: {type: Mesh}}}'

t "a missing Secret is accepted by the schema" psc no-secret '{auth: {jwt: {publicKeySecretRef: {name: absent-jwt, key: public.pem}}}}'
t "a missing Secret: SpecValid=False" eventually 60 condition_is $ns no-secret SpecValid False
t "a missing Secret: the condition names the Secret" bash -c \
  "kubectl -n $ns get psc no-secret -o jsonpath='{.status.conditions[?(@.type==\"SpecValid\")].message}' | grep -q absent-jwt"
t "a missing Secret: phase Invalid" equals Invalid jp psc/no-secret '{.status.phase}' -n $ns
t "a missing Secret: a Warning event" eventually 30 bash -c \
  "kubectl -n $ns get events --field-selector involvedObject.name=no-secret,type=Warning -o name | grep -q ."

t "kafka without bootstrapServers is accepted on 1.20 (CEL not enforced)" psc no-bootstrap '{mq: {backend: kafka, kafka: {topic: t}}}'
t "kafka without bootstrapServers: SpecValid=False naming the field" eventually 60 bash -c \
  "$(declare -f condition_is condition equals); condition_is $ns no-bootstrap SpecValid False >/dev/null &&
   kubectl -n $ns get psc no-bootstrap -o jsonpath='{.status.conditions[?(@.type==\"SpecValid\")].message}' | grep -q bootstrapServers"
t "invalid clusters own nothing" bash -c "[ -z \"\$(kubectl -n $ns get $OWNED_KINDS -l app.kubernetes.io/managed-by=imcluster-operator -o name)\" ]"
kubectl delete namespace $ns --wait=false >/dev/null
