#!/usr/bin/env python3
"""Checks the pod templates of `kubectl get deployments,statefulsets -o json` (stdin) against the restricted Pod
Security Standard (baseline checks included), as newer API servers' Pod Security admission would; 1.20 has none.
Prints one line per violation and exits 1 when there is any. The Java twin: RestrictedPodSecurity (operator tests)."""
import json
import sys

VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
                "secret"}
SECCOMP_OK = {"RuntimeDefault", "Localhost"}


def check(pod):
    v = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            v.append(field)
    for vol in pod.get("volumes", []):
        kinds = set(vol) - {"name"}
        if not kinds <= VOLUME_TYPES:
            v.append("volume %s of type %s" % (vol["name"], ",".join(sorted(kinds - VOLUME_TYPES))))
    psc = pod.get("securityContext", {})
    if psc.get("runAsUser") == 0:
        v.append("securityContext.runAsUser 0")
    if psc.get("sysctls"):
        v.append("securityContext.sysctls")
    if psc.get("seLinuxOptions"):
        v.append("securityContext.seLinuxOptions")
    pod_seccomp = psc.get("seccompProfile", {}).get("type") in SECCOMP_OK
    for c in pod.get("initContainers", []) + pod.get("containers", []):
        at = "container %s: " % c["name"]
        sc = c.get("securityContext")
        if sc is None:
            v.append(at + "no securityContext")
            continue
        if sc.get("privileged"):
            v.append(at + "privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            v.append(at + "allowPrivilegeEscalation is not false")
        if sc.get("runAsNonRoot") is not True and psc.get("runAsNonRoot") is not True:
            v.append(at + "runAsNonRoot is not true")
        if sc.get("runAsNonRoot") is False:
            v.append(at + "runAsNonRoot false")
        if sc.get("runAsUser") == 0:
            v.append(at + "runAsUser 0")
        seccomp = sc["seccompProfile"].get("type") in SECCOMP_OK if "seccompProfile" in sc else pod_seccomp
        if not seccomp:
            v.append(at + "seccompProfile is not RuntimeDefault or Localhost")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            v.append(at + "capabilities do not drop ALL")
        if any(a != "NET_BIND_SERVICE" for a in caps.get("add", [])):
            v.append(at + "capabilities add %s" % caps["add"])
        if sc.get("procMount", "Default") != "Default":
            v.append(at + "procMount " + sc["procMount"])
        if sc.get("seLinuxOptions"):
            v.append(at + "seLinuxOptions")
        for p in c.get("ports", []):
            if p.get("hostPort"):
                v.append(at + "hostPort %s" % p["hostPort"])
    return v


def main():
    items = json.load(sys.stdin)["items"]
    if not items:
        print("no workloads to check")
        return 1
    bad = 0
    for o in items:
        for violation in check(o["spec"]["template"]["spec"]):
            print("%s/%s: %s" % (o["kind"], o["metadata"]["name"], violation))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
