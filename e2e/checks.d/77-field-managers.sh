# Server-side apply on the real API server, for every kind of object the operator applies: another field manager's
# change to a field the operator does not own survives the operator's reconciles, and a field the operator owns
# that someone else changed returns to the operator's value. The operator's field manager owns what it applies.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-field-managers psc=quickstart
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
t "the PubSubCluster's objects are created" eventually 90 owned $ns $psc statefulset/$psc-redis

# What the operator applies for quickstart (its generated Secrets are create-only, not applied).
objects=(configmap/$psc-config serviceaccount/$psc-broker deployment/$psc-comet deployment/$psc-logic
  deployment/$psc-job service/$psc-comet service/$psc-comet-headless service/$psc-logic service/$psc-metrics
  poddisruptionbudget/$psc-comet statefulset/$psc-redis service/$psc-redis)
managers_of() { kubectl -n $ns get "$1" --show-managed-fields -o jsonpath='{range .metadata.managedFields[*]}{.manager}/{.operation}{"\n"}{end}'; }
operator_manager="$(managers_of deployment/$psc-comet | grep '/Apply$' | head -n1 | cut -d/ -f1)"
t "the operator applies its objects server-side (a field manager with operation Apply: '$operator_manager')" \
  test -n "$operator_manager"

for o in "${objects[@]}"; do
  if ! kubectl -n $ns get "$o" >/dev/null 2>&1; then t "$o exists" false; continue; fi
  # A foreign manager (a team's tooling, say) applies a label of its own to the object.
  kubectl -n $ns get "$o" -o json | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(json.dumps({"apiVersion": o["apiVersion"], "kind": o["kind"],
                  "metadata": {"name": o["metadata"]["name"], "namespace": o["metadata"]["namespace"],
                               "labels": {"example.com/team": "messaging"}}}))' \
    | kubectl apply --server-side --field-manager=team-tooling -f - >/dev/null
  t "$o: the foreign manager owns its label" bash -c "kubectl -n $ns get $o --show-managed-fields -o json \
    | grep -q '\"manager\": \"team-tooling\"'"
done

# An owned field changed by someone else (kubectl scale: another manager), and the cluster edited so that the operator
# reconciles every object again.
gen="$(jp deployment/$psc-comet '{.metadata.generation}' -n $ns)"
kubectl -n $ns scale deployment/$psc-comet --replicas=3 >/dev/null
t "comet's replicas go back to the operator's 1" eventually 60 equals 1 jp deployment/$psc-comet '{.spec.replicas}' -n $ns
t "...and its generation moved on (the change really happened, then was undone)" \
  bash -c "[ \"\$(kubectl -n $ns get deployment/$psc-comet -o jsonpath='{.metadata.generation}')\" -gt $gen ]"
kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"comet":{"replicas":2}}}' >/dev/null
t "the operator's next change is applied (comet replicas 2)" \
  eventually 60 equals 2 jp deployment/$psc-comet '{.spec.replicas}' -n $ns
t "the cluster is reconciled after the edit" eventually 60 equals "$(jp psc/$psc '{.metadata.generation}' -n $ns)" \
  jp psc/$psc '{.status.observedGeneration}' -n $ns
for o in "${objects[@]}"; do
  t "$o: the foreign label survived the operator's reconciles" \
    equals messaging jp "$o" '{.metadata.labels.example\.com/team}' -n $ns
  # JOSDK applies every kind server-side except ConfigMaps and Secrets, which it updates (its default).
  [ "${o%%/*}" = configmap ] && continue
  t "$o: the operator still owns what it applies" bash -c "kubectl -n $ns get $o --show-managed-fields -o json \
    | grep -q '\"manager\": \"$operator_manager\"'"
done
# The updated ConfigMap: someone else's edit of the broker config is undone, their label kept.
config="$(jp configmap/$psc-config '{.data.broker\.yaml}' -n $ns)"
kubectl -n $ns patch configmap/$psc-config --type=merge -p '{"data":{"broker.yaml":"tampered: true\n"}}' >/dev/null
t "configmap/$psc-config: another manager's edit of the broker config is undone" \
  eventually 60 equals "$config" jp configmap/$psc-config '{.data.broker\.yaml}' -n $ns
t "configmap/$psc-config: the foreign label is still there" \
  equals messaging jp configmap/$psc-config '{.metadata.labels.example\.com/team}' -n $ns
kubectl delete namespace $ns --wait=false >/dev/null
