#!/usr/bin/env bash
# Keeps the chart's crds/ an exact copy of the repository's crds/ (the operator's CRDs, the single source).
# Helm reads crds/ only from inside the chart and a symlink would not survive `helm package`, hence a copy.
# Usage: hack/sync-crds.sh          copy crds/*.yaml|*.yml into charts/imcluster-operator/crds/
#        hack/sync-crds.sh --check  exit 1 (and show the difference) when the two differ
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/crds" dst="$root/charts/imcluster-operator/crds"
shopt -s nullglob
files=("$src"/*.yaml "$src"/*.yml)
if [ ${#files[@]} -eq 0 ]; then
  echo "sync-crds: $src has no CRDs yet; the chart keeps its own ($dst)" >&2
  [ "${1:-}" = "--check" ] && exit 1
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  diff -r "$src" "$dst" && { echo "sync-crds: chart CRDs match crds/"; exit 0; }
  echo "sync-crds: charts/imcluster-operator/crds differs from crds/: run hack/sync-crds.sh" >&2
  exit 1
fi
mkdir -p "$dst"
rm -f "$dst"/*.yaml "$dst"/*.yml
cp "${files[@]}" "$dst"/
echo "sync-crds: copied ${#files[@]} CRD file(s) into $dst"
