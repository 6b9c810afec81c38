# The knobs a platform team reaches for, rendered by the real API server and run by the node agent (as in
# 70-node-agent): image pull secrets, extra env and envFrom, an extra ConfigMap volume and its mount, annotations of
# the broker ServiceAccount (cloud workload identity), the same knobs on the managed Redis, and comet behind a
# LoadBalancer Service with externalTrafficPolicy Local and source ranges. The cluster becomes Ready, the processes
# see the env and the file, and pushes reach clients through the LoadBalancer Service's name.
local_node_up || return 0

ns=e2e-knobs psc=knobs
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns create secret docker-registry regcred --docker-server=registry.example.test --docker-username=ci \
  --docker-password=unused --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns create configmap team-settings --from-literal=TEAM=messaging \
  --from-literal=notes.txt='mounted by the pod template' --dry-run=client -o yaml | kubectl apply -f - >/dev/null
apply_cluster <<YAML
  serviceAccount:
    annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::111122223333:role/imcluster"}
  comet:
    replicas: 1
    service:
      type: LoadBalancer
      externalTrafficPolicy: Local
      loadBalancerSourceRanges: [203.0.113.0/24]
      annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
    podTemplate: &pod
      imagePullSecrets: [{name: regcred}]
      env: [{name: DEPLOY_STAGE, value: e2e}]
      envFrom: [{configMapRef: {name: team-settings}}]
      volumes: [{name: team, configMap: {name: team-settings, items: [{key: notes.txt, path: notes.txt}]}}]
      volumeMounts: [{name: team, mountPath: /etc/team, readOnly: true}]
  logic: {replicas: 1, podTemplate: *pod}
  job: {replicas: 1, podTemplate: *pod}
  redis:
    managed:
      podTemplate:
        imagePullSecrets: [{name: regcred}]
        env: [{name: DEPLOY_STAGE, value: e2e}]
YAML

# pod_dir ROLE   the node agent's directory of the role's (first) pod.
pod_dir() { echo "$state/pods/${ns}_$(kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=$1" \
  -o jsonpath='{.items[0].metadata.name}')"; }
# process_env ROLE NAME   the value of NAME in the environment of the role's running process.
process_env() { tr '\0' '\n' <"/proc/$(cat "$(pod_dir "$1")/pid")/environ" | sed -n "s/^$2=//p"; }
knob_env() { echo "$(process_env "$1" DEPLOY_STAGE) $(process_env "$1" TEAM)"; }

t "the cluster with every pod knob reaches Ready=True" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
for role in comet logic job; do
  t "$role: the pod template has the pull secret, env, envFrom, volume and mount" equals \
    "regcred DEPLOY_STAGE team-settings team /etc/team" jp deploy/$psc-$role \
    "{.spec.template.spec.imagePullSecrets[0].name} {.spec.template.spec.containers[0].env[?(@.name==\"DEPLOY_STAGE\")].name} {.spec.template.spec.containers[0].envFrom[0].configMapRef.name} {.spec.template.spec.volumes[?(@.name==\"team\")].name} {.spec.template.spec.containers[0].volumeMounts[?(@.name==\"team\")].mountPath}" -n $ns
  t "$role: the process sees the env (DEPLOY_STAGE=e2e) and the envFrom key (TEAM=messaging)" \
    equals "e2e messaging" knob_env $role
  t "$role: the extra ConfigMap volume is mounted" grep -qx 'mounted by the pod template' "$(pod_dir $role)/volumes/team/notes.txt"
  t "$role: the pods run as the broker ServiceAccount" equals "$psc-broker" jp deploy/$psc-$role \
    '{.spec.template.spec.serviceAccountName}' -n $ns
done
t "the managed Redis's pod template has the pull secret and env" equals "regcred e2e" jp sts/$psc-redis \
  '{.spec.template.spec.imagePullSecrets[0].name} {.spec.template.spec.containers[0].env[?(@.name=="DEPLOY_STAGE")].value}' -n $ns
t "the broker ServiceAccount carries the workload-identity annotation" equals \
  "arn:aws:iam::111122223333:role/imcluster" jp sa/$psc-broker '{.metadata.annotations.eks\.amazonaws\.com/role-arn}' -n $ns
t "comet's Service: LoadBalancer, externalTrafficPolicy Local, source ranges and annotation" equals \
  "LoadBalancer Local 203.0.113.0/24 nlb" jp svc/$psc-comet \
  '{.spec.type} {.spec.externalTrafficPolicy} {.spec.loadBalancerSourceRanges[0]} {.metadata.annotations.service\.beta\.kubernetes\.io/aws-load-balancer-type}' -n $ns
t "the API server allocated node ports and a health-check node port (Local)" bash -c \
  "[ -n \"\$(kubectl -n $ns get svc $psc-comet -o jsonpath='{.spec.ports[0].nodePort}')\" ] && [ -n \"\$(kubectl -n $ns get svc $psc-comet -o jsonpath='{.spec.healthCheckNodePort}')\" ]"
t "pushes reach goim WebSocket clients and a gRPC subscriber through the LoadBalancer Service's name" demo

local_node_down
