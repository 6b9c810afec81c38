# Readiness end to end: without a kubelet the pods stay Pending, so their status is set Running/Ready through the
# status subresource; the ReplicaSet, Deployment and StatefulSet controllers then count them ready, and the
# operator reports the cluster Ready.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-ready psc=quickstart
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
pods_created() { [ "$(kubectl -n $ns get pods -o name | wc -l)" -ge 4 ]; }   # comet, logic, job, redis-0
t "the pods are created (and stay Pending)" eventually 90 pods_created
t "Ready=False before the pods are ready" eventually 60 condition_is $ns $psc Ready False
t "the pods are marked Running and Ready" fake_pods_ready $ns
t "Ready=True" eventually 90 condition_is $ns $psc Ready True
t "BackendReady=True (the managed Redis StatefulSet is ready)" eventually 30 condition_is $ns $psc BackendReady True
t "phase Running" eventually 30 equals Running jp psc/$psc '{.status.phase}' -n $ns
t "kubectl get psc shows READY True and 1/1 per role" eventually 30 bash -c \
  "kubectl -n $ns get psc $psc -o wide --no-headers | grep -Eq '^$psc +[0-9a-z]+ +redis +1/1 +True +1/1 +1/1 +[A-Za-z]+\$'"

# A comet cut from logic fails its readiness probe (PartitionTest shows its /readyz turn 503 through a cut link), and
# the kubelet marks the pod NotReady. Here that is done through the status subresource; the cluster must report a
# fault (Degraded, the role and its count, a Warning Event), not a rollout, and recover when the pod is ready again.
comet_pod="$(kubectl -n $ns get pods -l app.kubernetes.io/instance=$psc,app.kubernetes.io/component=comet -o name | head -1)"
t "the comet pod turns NotReady (a failing readiness probe)" fake_pod_ready $ns "$comet_pod" False
t "Ready=False" eventually 60 condition_is $ns $psc Ready False
t "Degraded=True, reason PodsNotReady" eventually 30 equals PodsNotReady condition_reason $ns $psc Degraded
t "the Degraded message names the role and its count" bash -c \
  "kubectl -n $ns get psc $psc -o jsonpath='{.status.conditions[?(@.type==\"Degraded\")].message}' | grep -q 'comet 0/1 ready'"
t "Progressing=False (nothing is rolling out)" condition_is $ns $psc Progressing False
t "phase Degraded" eventually 30 equals Degraded jp psc/$psc '{.status.phase}' -n $ns
t "a Warning PhaseChanged Event" eventually 30 bash -c \
  "kubectl -n $ns get events --field-selector involvedObject.name=$psc,reason=PhaseChanged,type=Warning -o name | grep -q ."
t "the comet pod is ready again" fake_pod_ready $ns "$comet_pod" True
t "Ready=True and Degraded=False again" eventually 60 bash -c \
  "[ \"\$(kubectl -n $ns get psc $psc -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}/{.status.conditions[?(@.type==\"Degraded\")].status}')\" = True/False ]"
t "phase Running again" eventually 30 equals Running jp psc/$psc '{.status.phase}' -n $ns
