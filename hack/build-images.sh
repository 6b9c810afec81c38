#!/usr/bin/env bash
# Builds the broker and operator images offline, as docker-archive tarballs (loadable by `docker load`,
# `podman load`, `ctr images import`, `kind load image-archive`, or pushable with `skopeo copy`):
#   1. base image: a Debian minbase rootfs (debootstrap, from the system's Debian archive) plus a jlink'd
#      Java 17 runtime in /opt/java and the non-root user 65532, packed with umoci and exported with skopeo;
#      cached in $IMCLUSTER_CACHE/images/ by a key of its inputs;
#   2. the application images: Jib (`jib:buildTar`, base `tar://` the image above), user 65532, so no
#      registry or Docker daemon is needed.
#
# Usage: hack/build-images.sh [base|broker|operator|all]   (default all)
# Output: target/images/imcluster-{broker,operator}.tar, tagged imcluster/{broker,operator}:$IMAGE_TAG
# Env: IMAGE_TAG (default: the chart's appVersion), JIB_VERSION, JRE_MODULES, IMAGES_OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"
root="$(cd "$here/.." && pwd)"

OUT="${IMAGES_OUT:-$root/target/images}"
IMAGE_TAG="${IMAGE_TAG:-$(awk -F'"' '/^appVersion:/ { print $2 }' "$root/charts/imcluster-operator/Chart.yaml")}"
JIB_VERSION="${JIB_VERSION:-3.4.4}"
# What the broker (netty, grpc, lettuce, kafka, jnats, micrometer) and the operator (fabric8's JDK client,
# JOSDK, logback) reference, per jdeps: java.xml parses logback's configuration, jdk.jfr backs netty's and
# lettuce's JFR events, java.desktop is java.beans (jackson, snakeyaml, micrometer). Test-only and compile-time
# modules (java.compiler, java.instrument) are left out. jdk.httpserver serves the operator's /healthz and /metrics.
# nimbus-jose-jwt needs java.sql; jdk.crypto.ec verifies ES256/384/512 and Ed25519 client JWTs.
JRE_MODULES="${JRE_MODULES:-java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported}"
BASE_RECIPE=1   # bump when the base image recipe changes
USER_ID=65532

# The first Debian archive URI of the system's apt sources (one-line or deb822), security archives excluded.
debian_mirror() {
  local uri
  uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'BEGIN { RS = "" }
    /(^|\n)Types:[^\n]*deb/ && match($0, /URIs:[ \t]*[^ \t\n]+/) {
      u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u)
      if (u ~ /\/debian\/?$/) { print u; exit }
    }')"
  if [ -z "$uri" ]; then
    uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i ~ /\/debian\/?$/) { print $i; exit } } }')"
  fi
  [ -n "$uri" ] || die "no Debian archive found in the system's apt sources"
  echo "$uri"
}

base_image() {
  ensure_pkgs debootstrap:debootstrap umoci:umoci skopeo:skopeo jlink:openjdk-17-jdk-headless
  local suite java key
  suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  java="$(java -version 2>&1)"; java="${java%%$'\n'*}"
  key="$(printf '%s\n' "$BASE_RECIPE" "$suite" "$java" "$JRE_MODULES" "$USER_ID" | sha256sum | cut -c1-12)"
  BASE_TAR="$IMCLUSTER_CACHE/images/base-$suite-$key.tar"
  if [ -f "$BASE_TAR" ]; then log "base image cached: $BASE_TAR"; return 0; fi

  local work t0=$SECONDS
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; trap - RETURN" RETURN
  local rootfs="$work/rootfs"
  log "debootstrap --variant=minbase $suite"
  debootstrap --variant=minbase "$suite" "$rootfs" "$(debian_mirror)" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  # Nothing installs packages at run time: drop apt's caches, docs and man pages.
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*

  log "jlink ($JRE_MODULES)"
  jlink --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 \
    --output "$rootfs/opt/java"
  echo "nonroot:x:$USER_ID:$USER_ID:nonroot:/home/nonroot:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
  echo "nonroot:x:$USER_ID:" >>"$rootfs/etc/group"
  install -d -o $USER_ID -g $USER_ID -m 0755 "$rootfs/home/nonroot"

  log "umoci: OCI layout"
  local oci="$work/oci"
  umoci init --layout "$oci"
  umoci new --image "$oci:base"
  umoci insert --image "$oci:base" "$rootfs" /
  umoci config --image "$oci:base" --os linux --architecture amd64 \
    --config.user "$USER_ID:$USER_ID" --config.workingdir /home/nonroot \
    --config.env JAVA_HOME=/opt/java \
    --config.env PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env LANG=C.UTF-8 \
    --config.label "org.opencontainers.image.description=Debian $suite minbase + jlink'd Java runtime"
  mkdir -p "$(dirname "$BASE_TAR")"
  skopeo --insecure-policy copy -q "oci:$oci:base" "docker-archive:$work/base.tar:imcluster/base:$suite-$key"
  mv "$work/base.tar" "$BASE_TAR"
  # Older bases (other keys) are not used any more.
  find "$(dirname "$BASE_TAR")" -maxdepth 1 -name 'base-*.tar' ! -path "$BASE_TAR" -delete
  log "base image built in $((SECONDS - t0)) s: $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"
}

# jib_image MODULE NAME MAIN_CLASS [PORTS]
jib_image() {
  local module="$1" name="$2" main="$3" ports="${4:-}" t0=$SECONDS
  mkdir -p "$OUT"
  log "jib: imcluster/$name:$IMAGE_TAG from $module"
  (cd "$root" && ./mvnw -B -ntp -q -Dstyle.color=never -pl "$module" -am -DskipTests package \
    "com.google.cloud.tools:jib-maven-plugin:$JIB_VERSION:buildTar" \
    -Djib.from.image="tar://$BASE_TAR" \
    -Djib.to.image="imcluster/$name:$IMAGE_TAG" \
    -Djib.outputPaths.tar="$OUT/imcluster-$name.tar" \
    -Djib.container.user="$USER_ID:$USER_ID" \
    -Djib.container.mainClass="$main" \
    -Djib.container.jvmFlags="-XX:MaxRAMPercentage=75,-XX:+ExitOnOutOfMemoryError" \
    -Djib.container.ports="$ports" \
    -Djib.container.labels="org.opencontainers.image.title=imcluster-$name,org.opencontainers.image.version=$IMAGE_TAG" \
    -Djib.baseImageCache="$IMCLUSTER_CACHE/jib/base" -Djib.applicationCache="$root/$module/target/jib-cache" >"$OUT/$name.build.log" 2>&1) \
    || { tail -30 "$OUT/$name.build.log" >&2; die "jib build of $name failed (log: $OUT/$name.build.log)"; }
  log "built $OUT/imcluster-$name.tar in $((SECONDS - t0)) s ($(du -h "$OUT/imcluster-$name.tar" | cut -f1))"
}

main() {
  local what="${1:-all}"
  mkdir -p "$IMCLUSTER_CACHE"
  case "$what" in
    base) base_image; echo "$BASE_TAR" ;;
    broker) base_image; jib_image broker-image broker dev.imcluster.broker.Main 8080,3100,3101,3102,3109,3111,3119 ;;
    operator) base_image; jib_image operator operator dev.imcluster.operator.OperatorMain 8080 ;;
    all)
      base_image
      jib_image broker-image broker dev.imcluster.broker.Main 8080,3100,3101,3102,3109,3111,3119
      jib_image operator operator dev.imcluster.operator.OperatorMain 8080
      ;;
    *) die "usage: $0 [base|broker|operator|all]" ;;
  esac
}

main "$@"
