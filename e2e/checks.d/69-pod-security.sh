# NetworkPolicies and pod security on the real API server. A cluster with managed NATS and Redis and
# spec.networkPolicy.enabled gets one ingress policy per component with the right selectors and peers: clients reach
# comet's client ports only, only comet reaches logic's gRPC, only job reaches comet's internal port, only logic and job
# reach Redis and NATS. This control plane has no kubelet and no network plugin, so nothing enforces them here: the
# check is on the objects (NetworkPolicyModelTest evaluates the semantics). Every pod template the operator created in
# this run (all namespaces) meets the restricted Pod Security Standard (e2e/pod-security.py; 1.20 has no Pod Security
# admission to do it).
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-security psc=nats-im
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
{ cat "$E2E_ROOT/examples/nats.yaml"; echo "  networkPolicy: {enabled: true}"; } | kubectl -n $ns apply --server-side -f - >/dev/null

for c in comet logic job redis nats; do
  t "networkpolicy/$psc-$c appears, controlled by the PubSubCluster" eventually 90 owned $ns $psc networkpolicy/$psc-$c
done
policies_right() {
  kubectl -n $ns get networkpolicies -o json | python3 -c '
import json, sys
psc = sys.argv[1]
sel = lambda c: {"app.kubernetes.io/name": c if c in ("redis", "nats") else "imcluster",
                 "app.kubernetes.io/instance": psc, "app.kubernetes.io/component": c}
pols = {p["metadata"]["name"]: p["spec"] for p in json.load(sys.stdin)["items"]}
def peers(spec, port):   # the components allowed on a port; "*" = anyone
    out = set()
    for r in spec.get("ingress", []):
        if any(p["port"] == port for p in r.get("ports", [])):
            if not r.get("from"):
                out.add("*")
            for f in r.get("from", []):
                labels = f.get("podSelector", {}).get("matchLabels", {})
                out.add(labels.get("app.kubernetes.io/component", "namespace" if not labels else "?"))
    return out
want = {"comet": {3101: {"*"}, 3102: {"*"}, 3100: {"*"}, 3109: {"job"}, 8080: {"*"}},
        "logic": {3119: {"comet"}, 3111: {"namespace"}, 8080: {"*"}},
        "job": {8080: {"*"}, 3109: set()},
        "redis": {6379: {"logic", "job"}},
        "nats": {4222: {"logic", "job"}}}
bad = []
for c, ports in want.items():
    spec = pols.get(psc + "-" + c)
    if spec is None:
        bad.append("missing policy for " + c); continue
    if spec["podSelector"].get("matchLabels") != sel(c):
        bad.append("%s selects %s" % (c, spec["podSelector"]))
    if spec.get("policyTypes") != ["Ingress"]:
        bad.append("%s policyTypes %s" % (c, spec.get("policyTypes")))
    for port, who in ports.items():
        if peers(spec, port) != who:
            bad.append("%s:%d allows %s, want %s" % (c, port, sorted(peers(spec, port)), sorted(who)))
    for r in spec.get("ingress", []):   # peers: pods of this cluster only (same namespace, its instance label)
        for f in r.get("from", []):
            labels = f.get("podSelector", {}).get("matchLabels", {})
            if "namespaceSelector" in f or (labels and labels.get("app.kubernetes.io/instance") != psc):
                bad.append("%s: a peer outside the cluster: %s" % (c, f))
print("\n".join(bad))
sys.exit(1 if bad else 0)' $psc
}
t "the policies select their component and allow exactly the intended peers per port" eventually 30 policies_right

workloads() { kubectl get deployments.apps,statefulsets.apps "$@" -l app.kubernetes.io/managed-by=imcluster-operator -o json; }
t "this cluster's Deployments and StatefulSets exist (comet, logic, job, redis, nats)" eventually 90 \
  bash -c "[ \"\$(kubectl -n $ns get deployments.apps,statefulsets.apps -o name | wc -l)\" -ge 5 ]"
t "restricted Pod Security Standard: every pod template of this cluster" bash -c \
  "$(declare -f workloads); workloads -n $ns | python3 '$E2E_ROOT/e2e/pod-security.py'"
t "restricted Pod Security Standard: every pod template the operator created in this run" bash -c \
  "$(declare -f workloads); workloads -A | python3 '$E2E_ROOT/e2e/pod-security.py'"
t "the checker itself fails a privileged hostPath pod" bash -c "! echo '{\"items\": [{\"kind\": \"Deployment\",
  \"metadata\": {\"name\": \"bad\"}, \"spec\": {\"template\": {\"spec\": {\"hostNetwork\": true,
  \"volumes\": [{\"name\": \"h\", \"hostPath\": {\"path\": \"/\"}}], \"containers\": [{\"name\": \"c\",
  \"securityContext\": {\"privileged\": true}}]}}}}]}' | python3 '$E2E_ROOT/e2e/pod-security.py' >/dev/null"

kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"networkPolicy":{"enabled":false}}}' >/dev/null
t "networkPolicy.enabled=false removes the policies" eventually 60 \
  bash -c "[ -z \"\$(kubectl -n $ns get networkpolicies -o name)\" ]"
kubectl delete namespace $ns --timeout=120s >/dev/null   # waited for: the node agent (70) runs whatever pods are left
