#!/usr/bin/env bash
# Smoke test of an image tarball (docker-archive, as hack/build-images.sh writes it) without a container
# runtime: unpacks its layers into a rootfs, then runs the image's own entrypoint there with bubblewrap, the
# way a pod would: read-only root filesystem, a tmpfs /tmp, the image's user (65532) and environment, its own
# pid namespace. It passes when /healthz answers 200, and /metrics passes `promtool check metrics` and a real
# Prometheus scrape (hack/prometheus-check.sh).
#
# Usage: hack/image-smoke-test.sh [--env K=V]... [--ro-bind SRC DST]... [--port-env NAME] [IMAGE_TAR [ARGS...]]
#   default: target/images/imcluster-broker.tar, and for the broker the argument `standalone`
#   --port-env  the variable that sets the HTTP port of /healthz and /metrics (default: the broker's
#               IMCLUSTER__ADMIN__PORT; the operator's is IMCLUSTER_HTTP_PORT)
# For the broker, every listener gets a free loopback port (IMCLUSTER__... overrides).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"
root="$(cd "$here/.." && pwd)"

extra_env=() binds=() port_env=IMCLUSTER__ADMIN__PORT
while [ $# -gt 0 ]; do
  case "$1" in
    --env) extra_env+=(--setenv "${2%%=*}" "${2#*=}"); shift 2 ;;
    --ro-bind) binds+=(--ro-bind "$2" "$3"); shift 3 ;;
    --port-env) port_env="$2"; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
image="${1:-$root/target/images/imcluster-broker.tar}"
shift || true
[ -f "$image" ] || die "no image tarball at $image (run hack/build-images.sh)"
ensure_pkgs bwrap:bubblewrap curl:curl python3:python3 promtool:prometheus

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 30 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log "unpacking $(basename "$image")"
mkdir -p "$work/image" "$work/rootfs"
tar -xf "$image" -C "$work/image"
# Layers in order; whiteouts (.wh.*) delete what lower layers put there.
python3 - "$work/image" "$work/rootfs" "$work/config.sh" <<'PY'
import json, os, shlex, shutil, sys, tarfile
src, rootfs, out = sys.argv[1:4]
manifest = json.load(open(os.path.join(src, "manifest.json")))[0]
for layer in manifest["Layers"]:
    with tarfile.open(os.path.join(src, layer)) as t:
        members = []
        for m in t.getmembers():
            d, base = os.path.split(m.name)
            if base.startswith(".wh."):
                target = os.path.join(rootfs, d, base[4:])
                if base == ".wh..wh..opq":
                    for e in os.listdir(os.path.join(rootfs, d)) if os.path.isdir(os.path.join(rootfs, d)) else []:
                        p = os.path.join(rootfs, d, e)
                        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
                elif os.path.lexists(target):
                    shutil.rmtree(target) if os.path.isdir(target) and not os.path.islink(target) else os.remove(target)
                continue
            members.append(m)
        t.extractall(rootfs, members=members, numeric_owner=True)
config = json.load(open(os.path.join(src, manifest["Config"])))["config"]
with open(out, "w") as f:
    f.write("entrypoint=(%s)\n" % " ".join(shlex.quote(a) for a in (config.get("Entrypoint") or []) + (config.get("Cmd") or [])))
    f.write("image_env=(%s)\n" % " ".join(shlex.quote(e) for e in config.get("Env") or []))
    f.write("image_user=%s\n" % shlex.quote(config.get("User") or "0:0"))
    f.write("image_workdir=%s\n" % shlex.quote(config.get("WorkingDir") or "/"))
PY
# shellcheck disable=SC1091
. "$work/config.sh"
uid="${image_user%%:*}" gid="${image_user#*:}"
is_broker=0; [[ " ${entrypoint[*]} " == *" dev.imcluster.broker.Main "* ]] && is_broker=1
[ $# -gt 0 ] || [ $is_broker = 0 ] || set -- standalone
[ "$uid" != 0 ] || die "the image runs as root"
log "entrypoint: ${entrypoint[*]} $* (user $image_user)"

admin="$(free_port)"
env_args=()
for e in "${image_env[@]}"; do env_args+=(--setenv "${e%%=*}" "${e#*=}"); done
env_args+=(--setenv "$port_env" "$admin" --setenv HOSTNAME smoke-test)
if [ $is_broker = 1 ]; then
  for k in COMET__TCP__PORT COMET__WEBSOCKET__PORT COMET__GRPC__PORT COMET__PUBSUBGRPC__PORT \
           LOGIC__HTTP__PORT LOGIC__GRPC__PORT; do
    p="$(free_port)"
    env_args+=(--setenv "IMCLUSTER__$k" "$p")
    [ "$k" = COMET__GRPC__PORT ] && env_args+=(--setenv IMCLUSTER__JOB__COMETS__PORT "$p")
    [ "$k" = LOGIC__GRPC__PORT ] && env_args+=(--setenv IMCLUSTER__COMET__LOGICADDRESS "127.0.0.1:$p")
  done
  env_args+=(--setenv IMCLUSTER__BINDADDRESS 127.0.0.1)
fi
env_args+=("${extra_env[@]}")

bwrap --ro-bind "$work/rootfs" / --proc /proc --dev /dev --tmpfs /tmp "${binds[@]}" \
  --unshare-pid --unshare-user --uid "$uid" --gid "$gid" --die-with-parent \
  --chdir "$image_workdir" --clearenv "${env_args[@]}" \
  -- "${entrypoint[@]}" "$@" >"$work/out.log" 2>&1 &
pid=$!

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$admin/healthz" >/dev/null; }
if ! wait_for 90 healthy; then
  kill -0 "$pid" 2>/dev/null || echo "(the process exited)" >&2
  tail -40 "$work/out.log" >&2
  die "no /healthz 200 on port $admin within 90 s"
fi
echo "PASS image $(basename "$image"): /healthz 200 as uid $uid on a read-only root filesystem"
# The same lint and a real Prometheus scrape of /metrics, as the chart's annotations declare it.
"$here/prometheus-check.sh" "http://127.0.0.1:$admin/metrics"
