# Every examples/*.yaml is accepted by the installed CRD's schema (applied for real, server-side).
ns=e2e-examples
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
shopt -s nullglob
for f in "$E2E_ROOT"/examples/*.yaml; do
  t "example $(basename "$f") is accepted" kubectl -n $ns apply --server-side -f "$f"
done
kubectl delete namespace $ns --wait=false >/dev/null
