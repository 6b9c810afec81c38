#!/usr/bin/env bash
# Builds the release artifacts of one version, offline (no registry, no Docker daemon):
#   imcluster-operator-VERSION.tgz       the Helm chart (`helm package`, version and appVersion VERSION, so its
#                                        default images are imcluster/{operator,broker}:VERSION)
#   imcluster-crds-VERSION.yaml          every CRD of crds/ in one file, for `kubectl apply --server-side -f`
#   imcluster-broker-VERSION.tar         the broker image (docker-archive, tag imcluster/broker:VERSION)
#   imcluster-operator-image-VERSION.tar the operator image (docker-archive, tag imcluster/operator:VERSION)
#   SHA256SUMS                           of the files above
# The README's "Install from a release" says how to use them.
#
# Usage: hack/release.sh VERSION [--no-images]     e.g. hack/release.sh 0.1.0
#   --no-images   the chart and the CRD bundle only (the images take hack/build-images.sh's debootstrap and Jib)
# Output: target/release/VERSION/ (RELEASE_OUT overrides it)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"
root="$(cd "$here/.." && pwd)"

version="${1:-}"
images=1
case "$#:${2:-}" in
  1:) ;;
  2:--no-images) images=0 ;;
  *) die "usage: $0 VERSION [--no-images]" ;;
esac
# SemVer 2, as Helm requires of a chart version.
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] \
  || die "VERSION must be a SemVer version such as 0.1.0 or 1.2.0-rc.1, got '$version'"
out="${RELEASE_OUT:-$root/target/release/$version}"
rm -rf "$out"
mkdir -p "$out"

"$here/k8s-binaries.sh" tools >/dev/null
export PATH="$TOOLS_BIN_DIR:$PATH"

log "chart imcluster-operator $version"
helm lint --strict "$root/charts/imcluster-operator" >/dev/null
helm package "$root/charts/imcluster-operator" --version "$version" --app-version "$version" -d "$out" >/dev/null

log "CRD bundle"
bundle="$out/imcluster-crds-$version.yaml"
first=1
for crd in "$root"/crds/*.yml "$root"/crds/*.yaml; do
  [ -f "$crd" ] || continue
  [ $first = 1 ] || echo "---" >>"$bundle"
  first=0
  cat "$crd" >>"$bundle"
done
[ $first = 0 ] || die "no CRD in $root/crds"

if [ $images = 1 ]; then
  log "images imcluster/broker:$version and imcluster/operator:$version"
  IMAGE_TAG="$version" IMAGES_OUT="$out/images" "$here/build-images.sh" all
  mv "$out/images/imcluster-broker.tar" "$out/imcluster-broker-$version.tar"
  mv "$out/images/imcluster-operator.tar" "$out/imcluster-operator-image-$version.tar"
  rm -rf "$out/images"
fi

(cd "$out" && sha256sum -- * >SHA256SUMS)
log "release $version in $out:"
(cd "$out" && ls -l -- *) >&2
