# The release artifacts as a user installs them (README "Install from a release"): hack/release.sh builds a chart
# tarball and a CRD bundle of a version (the images are hack/build-images.sh's, not built here), and both install on
# the control plane: the CRD bundle with server-side apply, the chart as a second release watching one namespace,
# whose default images carry the version.
version=0.0.1-e2e
rel=e2e-release
out="$(mktemp -d)"
t "hack/release.sh $version --no-images builds the chart, the CRD bundle and SHA256SUMS" \
  env RELEASE_OUT="$out" "$E2E_ROOT/hack/release.sh" "$version" --no-images
t "the checksums hold" bash -c "cd '$out' && sha256sum -c --quiet SHA256SUMS"
t "the chart tarball says version and appVersion $version" bash -c \
  "[ \"\$(tar -xzOf '$out/imcluster-operator-$version.tgz' imcluster-operator/Chart.yaml | grep -cE '^(version|appVersion): \"?$version\"?\$')\" = 2 ]"
# 1.20 predates CEL: the bundle replaces the CRDs with --validate=false, as docs/KUBERNETES.md says for servers
# before 1.25 (the server drops the x-kubernetes-validations rules; the operator applies them itself).
t "the CRD bundle replaces the CRDs (kubectl replace --validate=false, before 1.25)" \
  kubectl replace --validate=false -f "$out/imcluster-crds-$version.yaml"
kubectl create namespace $rel --dry-run=client -o yaml | kubectl apply -f - >/dev/null
t "helm install of the chart tarball (CRDs from the bundle, watching one namespace)" \
  helm install $rel "$out/imcluster-operator-$version.tgz" -n $rel --skip-crds --set "watchNamespaces={$rel}" --wait=false
t "its operator image is imcluster/operator:$version" equals "imcluster/operator:$version" \
  jp deployment/$rel-imcluster-operator '{.spec.template.spec.containers[0].image}' -n $rel
t "its broker image is imcluster/broker:$version" bash -c \
  "kubectl -n $rel get deployment $rel-imcluster-operator -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"IMCLUSTER_BROKER_IMAGE\")].value}' | grep -qx 'imcluster/broker:$version'"
t "helm uninstall removes it" helm uninstall $rel -n $rel
kubectl delete namespace $rel --wait=false >/dev/null
rm -rf "$out"
