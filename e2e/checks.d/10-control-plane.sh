# The local control plane behaves like a real one: readiness, server-side apply, built-in controllers,
# custom resources (the reflect2 fix) and garbage collection.
ns=e2e-control-plane
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null

t "apiserver /readyz" kubectl get --raw /readyz

ssa_cm() {
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: %s}\ndata: {k: "%s"}\n' $ns "$1" |
    kubectl apply --server-side --field-manager e2e -f - >/dev/null
}
rv() { jp configmap/ssa '{.metadata.resourceVersion}' -n $ns; }
ssa_idempotent() { local before; before="$(rv)"; ssa_cm 2; equals "$before" rv; }
t "server-side apply creates and updates" bash -c "$(declare -f ssa_cm); ns=$ns; ssa_cm 1 && ssa_cm 2"
t "server-side apply changed the data" equals 2 jp configmap/ssa '{.data.k}' -n $ns
t "server-side apply records the field manager" equals e2e jp configmap/ssa '{.metadata.managedFields[0].manager}' -n $ns
t "server-side apply is idempotent (resourceVersion unchanged)" ssa_idempotent

kubectl -n $ns create deployment web --image=example.invalid/web --replicas=2 --dry-run=client -o yaml |
  kubectl apply --server-side -f - >/dev/null
pending_pods() { [ "$(kubectl -n $ns get pods -l app=web --field-selector status.phase=Pending -o name | wc -l)" = 2 ]; }
t "a Deployment gets a ReplicaSet" eventually 60 bash -c "kubectl -n $ns get rs -l app=web -o name | grep -q ."
t "the ReplicaSet creates Pending pods (no scheduler, no kubelet)" eventually 60 pending_pods
t "the default ServiceAccount has a token (service-account controllers)" \
  eventually 30 bash -c "kubectl -n $ns get secrets -o name | grep -q default-token"

kubectl apply --server-side -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: e2ewidgets.e2e.imcluster.dev}
spec:
  group: e2e.imcluster.dev
  scope: Namespaced
  names: {kind: E2eWidget, plural: e2ewidgets, singular: e2ewidget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer, minimum: 1}}}
YAML
widget() {
  printf 'apiVersion: e2e.imcluster.dev/v1\nkind: E2eWidget\nmetadata: {name: %s, namespace: %s}\nspec: {size: %s}\n' \
    "$1" $ns "$2" | kubectl apply --server-side -f -
}
t "a CRD becomes Established" kubectl wait --for condition=Established crd/e2ewidgets.e2e.imcluster.dev --timeout 60s
t "a custom resource can be created" eventually 30 widget w1 3
t "the schema rejects an invalid custom resource" bash -c "! $(declare -f widget); ns=$ns; ! widget w2 0"

owned_cm() {
  local uid; uid="$(jp e2ewidget/w1 '{.metadata.uid}' -n $ns)" || return 1
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  namespace: %s\n  ownerReferences: [{apiVersion: e2e.imcluster.dev/v1, kind: E2eWidget, name: w1, uid: "%s"}]\n' \
    $ns "$uid" | kubectl apply --server-side -f -
}
t "a dependent of a custom resource can be created" owned_cm
kubectl -n $ns delete e2ewidget w1 >/dev/null 2>&1
t "garbage collection deletes a custom resource's dependents" \
  eventually 60 bash -c "! kubectl -n $ns get configmap owned >/dev/null 2>&1"
kubectl -n $ns delete deployment web >/dev/null
t "garbage collection deletes a Deployment's ReplicaSets and Pods" \
  eventually 60 bash -c "[ -z \"\$(kubectl -n $ns get rs,pods -l app=web -o name)\" ]"

kubectl delete namespace $ns --wait=false >/dev/null
kubectl delete crd e2ewidgets.e2e.imcluster.dev --wait=false >/dev/null
