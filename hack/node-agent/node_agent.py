#!/usr/bin/env python3
"""A local node agent for the local control plane (hack/local-cluster.sh): a LOCAL/TEST TOOL, not part of
imcluster's install. It plays kubelet (and DNS) for the pods the imcluster operator creates, running each pod as a
local process on its own loopback address 127.0.0.N:

- registers a Node (Ready, with capacity), renews its Lease and status heartbeat;
- binds the Pending pods labelled app.kubernetes.io/managed-by=imcluster-operator to itself (there is no
  scheduler), and runs their first container: the broker (java -jar /app/imcluster-broker.jar ...) as the local
  broker jar, redis-server as Debian's redis-server, the NATS image as nats-server;
- writes ConfigMap/Secret/emptyDir volumes under the pod's directory and rewrites the container's mount paths in
  its args, env values and ConfigMap contents;
- keeps pod status true (Running, container status, Ready from the readiness probe, restarts with backoff on
  crash or liveness failure), stops the process on deletion (preStop `sleep N`, SIGTERM, SIGKILL after the grace
  period), appends the container's output to <state>/pods/<ns>_<pod>/<container>.log;
- maintains a hosts file from Services and the ready pods they select (no kube-proxy, no DNS server), given to the JVMs with
  -Djdk.net.hosts.file.

Only the Python standard library (plus PyYAML for the kubeconfig) is used, so it runs with no build step.
Usage: node_agent.py --kubeconfig FILE --state DIR --broker-jar JAR [--node-name NAME] [--ip-base 127.0.0.]
"""
import argparse
import base64
import datetime
import json
import logging
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

MANAGED_SELECTOR = "app.kubernetes.io/managed-by=imcluster-operator"
BROKER_JAR_IN_IMAGE = "/app/imcluster-broker.jar"
LOG = logging.getLogger("node-agent")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %s: %s" % (status, body[:300]))
        self.status = status


class Kube:
    """A minimal API client: the kubeconfig's server, CA and bearer token."""

    def __init__(self, kubeconfig):
        with open(kubeconfig) as f:
            cfg = yaml.safe_load(f)
        ctx_name = cfg["current-context"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"].rstrip("/")
        self.token = user["token"]
        self.ssl = ssl.create_default_context(cafile=cluster["certificate-authority"])

    def call(self, method, path, body=None, content_type="application/json", query=None):
        url = self.server + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=30) as resp:
                raw = resp.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace")) from None

    def get(self, path, **query):
        return self.call("GET", path, query=query or None)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def merge_patch(self, path, body):
        return self.call("PATCH", path, body, "application/merge-patch+json")


class HostsFile:
    """<state>/hosts: every Service name -> the IPs of the ready pods its selector matches (the JDK picks the first
    of several for a plain connect), and for headless Services also <pod>.<svc>.<ns>.svc... per pod.

    Computed from Services and Pods, as the endpoints controller would: the API server refuses Endpoints with
    loopback addresses, so the Endpoints objects of these Services stay empty."""

    def __init__(self, path):
        self.path = path
        self.content = None

    @staticmethod
    def names(base, ns):
        return [base, "%s.%s" % (base, ns), "%s.%s.svc" % (base, ns), "%s.%s.svc.cluster.local" % (base, ns)]

    @staticmethod
    def ready(pod):
        return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or [])

    def render(self, services, pods):
        lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost", "127.0.0.1 %s" % socket.gethostname()]
        by_ns = {}
        for pod in pods:
            if pod["status"].get("podIP") and not pod["metadata"].get("deletionTimestamp"):
                by_ns.setdefault(pod["metadata"]["namespace"], []).append(pod)
        for svc in sorted(services, key=lambda s: (s["metadata"]["namespace"], s["metadata"]["name"])):
            ns, name, spec = svc["metadata"]["namespace"], svc["metadata"]["name"], svc["spec"]
            selector = spec.get("selector")
            if not selector:
                continue
            for pod in sorted(by_ns.get(ns, []), key=lambda p: p["metadata"]["name"]):
                labels = pod["metadata"].get("labels") or {}
                if any(labels.get(k) != v for k, v in selector.items()):
                    continue
                if not (self.ready(pod) or spec.get("publishNotReadyAddresses")):
                    continue
                ip = pod["status"]["podIP"]
                lines.append("%s %s" % (ip, " ".join(self.names(name, ns))))
                if spec.get("clusterIP") == "None":
                    host = pod["spec"].get("hostname") or pod["metadata"]["name"]
                    lines.append("%s %s" % (ip, " ".join(self.names(host + "." + name, ns)[1:])))
        return "\n".join(lines) + "\n"

    def update(self, services, pods):
        content = self.render(services, pods)
        if content != self.content:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                f.write(content)
            os.replace(tmp, self.path)
            self.content = content
            LOG.info("hosts file updated (%d entries)", content.count("\n"))


class IpPool:
    def __init__(self, base, first=10, last=250):
        self.base, self.free, self.lock = base, list(range(first, last + 1)), threading.Lock()

    def take(self):
        with self.lock:
            return self.base + str(self.free.pop(0))

    def give(self, ip):
        with self.lock:
            self.free.append(int(ip.rsplit(".", 1)[1]))
            self.free.sort()


def rewrite_paths(value, mounts):
    """Replaces each container mount path (as a whole path prefix) in value by its local directory.

    One pass over all mounts (longest first): a replaced local path that begins like a shorter mount path
    (a /tmp emptyDir while the state dir is under /tmp) must not be rewritten again.
    """
    if not mounts:
        return value
    paths = sorted(mounts, key=len, reverse=True)
    pattern = r"(?<![\w./-])(" + "|".join(re.escape(p) for p in paths) + r")(?=/|$|[^\w.-])"
    return re.sub(pattern, lambda m: mounts[m.group(1)], value)


class PodRunner(threading.Thread):
    """One pod: prepares its files, runs and supervises its first container's process, reports its status."""

    def __init__(self, agent, pod):
        super().__init__(name="pod-%s" % pod["metadata"]["name"], daemon=True)
        self.agent, self.kube = agent, agent.kube
        self.pod = pod
        self.ns, self.name, self.uid = pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"]
        self.container = pod["spec"]["containers"][0]
        self.dir = os.path.join(agent.state, "pods", "%s_%s" % (self.ns, self.name))
        self.ip = agent.ips.take()
        self.proc = None
        self.stopping = threading.Event()
        self.deleted = threading.Event()
        self.restarts = 0
        self.ready = False
        self.started_at = None
        self.last_state = {}
        self.waiting = None
        self.reported = None
        self.start_time = now_iso()

    # ---- files, env, command
    def secret(self, name):
        s = self.kube.get("/api/v1/namespaces/%s/secrets/%s" % (self.ns, name))
        return {k: base64.b64decode(v) for k, v in (s.get("data") or {}).items()}

    def config_map(self, name):
        c = self.kube.get("/api/v1/namespaces/%s/configmaps/%s" % (self.ns, name))
        return {k: v.encode() for k, v in (c.get("data") or {}).items()}

    def mounts(self):
        return {m["mountPath"]: os.path.join(self.dir, "volumes", m["name"]) + (
            "/" + m["subPath"] if m.get("subPath") else "") for m in self.container.get("volumeMounts") or []}

    def write_volumes(self, mounts):
        used = {m["name"] for m in self.container.get("volumeMounts") or []}
        for vol in self.pod["spec"].get("volumes") or []:
            if vol["name"] not in used:
                continue
            target = os.path.join(self.dir, "volumes", vol["name"])
            os.makedirs(target, exist_ok=True)
            files, rewrite = {}, False
            if "configMap" in vol:
                files, rewrite, items = self.config_map(vol["configMap"]["name"]), True, vol["configMap"].get("items")
            elif "secret" in vol:
                files, items = self.secret(vol["secret"]["secretName"]), vol["secret"].get("items")
            else:  # emptyDir, persistentVolumeClaim, projected service-account tokens: a plain directory
                continue
            if items:
                files = {i["path"]: files[i["key"]] for i in items if i["key"] in files}
            for path, data in files.items():
                if rewrite:
                    data = rewrite_paths(data.decode(), mounts).encode()
                full = os.path.join(target, path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "wb") as f:
                    f.write(data)

    def field(self, path):
        meta = self.pod["metadata"]
        return {"metadata.name": self.name, "metadata.namespace": self.ns, "metadata.uid": self.uid,
                "status.podIP": self.ip, "status.hostIP": "127.0.0.1", "spec.nodeName": self.agent.node,
                "spec.serviceAccountName": self.pod["spec"].get("serviceAccountName", "")}.get(path) or (
            (meta.get("labels") or {}).get(path[len("metadata.labels['"):-2]) if path.startswith("metadata.labels[")
            else "")

    def env(self, mounts):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir, "HOSTNAME": self.name}
        for src in self.container.get("envFrom") or []:
            if "configMapRef" in src:
                data = self.config_map(src["configMapRef"]["name"])
            else:
                data = self.secret(src["secretRef"]["name"])
            env.update({src.get("prefix", "") + k: v.decode() for k, v in data.items()})
        for e in self.container.get("env") or []:
            if "value" in e:
                value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), e["value"])
            else:
                ref = e.get("valueFrom") or {}
                try:
                    if "fieldRef" in ref:
                        value = self.field(ref["fieldRef"]["fieldPath"])
                    elif "secretKeyRef" in ref:
                        value = self.secret(ref["secretKeyRef"]["name"])[ref["secretKeyRef"]["key"]].decode()
                    elif "configMapKeyRef" in ref:
                        value = self.config_map(ref["configMapKeyRef"]["name"])[ref["configMapKeyRef"]["key"]].decode()
                    else:
                        continue  # resourceFieldRef: nothing meaningful for a local process
                except (ApiError, KeyError):
                    if (ref.get("secretKeyRef") or ref.get("configMapKeyRef") or {}).get("optional"):
                        continue
                    raise
            env[e["name"]] = rewrite_paths(value, mounts)
        return env

    def command(self, env, mounts):
        c = self.container
        cmd = [rewrite_paths(a, mounts) for a in (c.get("command") or []) + (c.get("args") or [])]
        image = c.get("image", "")
        if BROKER_JAR_IN_IMAGE in cmd or "imcluster/broker" in image or "imcluster-broker" in image:
            if BROKER_JAR_IN_IMAGE in cmd:  # java [opts] -jar /app/imcluster-broker.jar ROLE ...
                args = cmd[cmd.index(BROKER_JAR_IN_IMAGE) + 1:]
            else:  # the image's own entrypoint: the role is the argument
                args = [rewrite_paths(a, mounts) for a in c.get("args") or []]
            env["IMCLUSTER__BINDADDRESS"] = self.ip
            # A 5 s name cache (the JVM's default is 30 s), so Service changes reach the brokers quickly.
            return ["java", "-Djdk.net.hosts.file=" + self.agent.hosts.path, "-Dsun.net.inetaddr.ttl=5",
                    "-Dsun.net.inetaddr.negative.ttl=1"] + self.agent.jvm_opts + [
                "-jar", self.agent.broker_jar] + args
        if cmd[:1] == ["redis-server"] or (not cmd and "redis" in image):
            return (cmd or ["redis-server"]) + ["--bind", self.ip]
        if "nats" in image and not c.get("command"):
            return ["nats-server"] + cmd + ["-a", self.ip]
        raise ValueError("cannot run image %s with command %s locally" % (image, cmd))

    # ---- probes
    def port_of(self, port):
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for p in self.container.get("ports") or []:
            if p.get("name") == port:
                return p["containerPort"]
        raise ValueError("no container port named %s" % port)

    def probe(self, probe):
        timeout = probe.get("timeoutSeconds", 1)
        try:
            if "httpGet" in probe:
                h = probe["httpGet"]
                url = "http://%s:%d%s" % (self.ip, self.port_of(h["port"]), h.get("path", "/"))
                with urllib.request.urlopen(url, timeout=timeout) as r:
                    return 200 <= r.status < 400
            if "tcpSocket" in probe:
                with socket.create_connection((self.ip, self.port_of(probe["tcpSocket"]["port"])), timeout=timeout):
                    return True
            return True  # exec probes: not run locally, count as success
        except (OSError, ValueError, urllib.error.URLError):
            return False

    # ---- lifecycle
    def start_process(self):
        mounts = self.mounts()
        for local in mounts.values():
            os.makedirs(local, exist_ok=True)
        self.write_volumes(mounts)
        env = self.env(mounts)
        cmd = self.command(env, mounts)
        log = open(os.path.join(self.dir, self.container["name"] + ".log"), "ab")
        log.write(("=== %s start #%d: %s\n" % (now_iso(), self.restarts, " ".join(cmd))).encode())
        log.flush()
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        with open(os.path.join(self.dir, "pid"), "w") as f:  # for node-agent.sh stop, should the agent die
            f.write(str(self.proc.pid))
        self.started_at = now_iso()
        self.waiting = None
        LOG.info("%s/%s: started pid %d on %s: %s", self.ns, self.name, self.proc.pid, self.ip, " ".join(cmd))

    def run(self):
        os.makedirs(self.dir, exist_ok=True)
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                self.start_process()
            except Exception as e:  # bad spec or missing Secret: report it and retry
                LOG.warning("%s/%s: cannot start: %s", self.ns, self.name, e)
                self.waiting = {"reason": "CreateContainerConfigError", "message": str(e)[:500]}
                self.report()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            self.report()
            code = self.supervise()
            if self.stopping.is_set():
                break
            self.restarts += 1
            self.ready = False
            self.last_state = {"terminated": {"exitCode": code, "reason": "Error" if code else "Completed",
                                              "startedAt": self.started_at, "finishedAt": now_iso()}}
            uptime = time.time() - self.proc_started
            backoff = 1.0 if uptime > 60 else min(backoff * 2, 30)
            self.waiting = {"reason": "CrashLoopBackOff",
                            "message": "back-off %ds restarting failed container" % backoff}
            LOG.warning("%s/%s: exited with %s; restart #%d in %ds", self.ns, self.name, code, self.restarts,
                        backoff)
            self.report()
            self.stopping.wait(backoff)

    def supervise(self):
        """Probes until the process exits (its exit code) or the pod is stopped."""
        self.proc_started = time.time()
        rp, lp = self.container.get("readinessProbe"), self.container.get("livenessProbe")
        next_ready = time.time() + (rp or {}).get("initialDelaySeconds", 0)
        next_live = time.time() + (lp or {}).get("initialDelaySeconds", 0)
        ready_fail = live_fail = 0
        was_ready = False
        while True:
            code = self.proc.poll()
            if code is not None:
                return code
            if self.stopping.wait(0.5):
                return None
            t = time.time()
            if rp is None:
                self.set_ready(True)
            elif t >= next_ready:
                next_ready = t + rp.get("periodSeconds", 10)
                if self.probe(rp):
                    ready_fail = 0
                    self.set_ready(True)
                else:
                    ready_fail += 1
                    if ready_fail >= rp.get("failureThreshold", 3) or not self.ready:
                        self.set_ready(False)
            was_ready = was_ready or self.ready
            # Liveness starts once the container has been ready (standing in for the startup probe).
            if lp is not None and was_ready and t >= next_live:
                next_live = t + lp.get("periodSeconds", 10)
                if self.probe(lp):
                    live_fail = 0
                else:
                    live_fail += 1
                    if live_fail >= lp.get("failureThreshold", 3):
                        LOG.warning("%s/%s: liveness probe failed %d times; killing", self.ns, self.name, live_fail)
                        self.kill(5)
                        return self.proc.wait()

    def set_ready(self, ready):
        if ready != self.ready:
            self.ready = ready
            LOG.info("%s/%s: ready=%s", self.ns, self.name, ready)
            self.report()

    def kill(self, grace):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(max(grace, 0))
        except subprocess.TimeoutExpired:
            LOG.warning("%s/%s: still running %ds after SIGTERM; SIGKILL", self.ns, self.name, grace)
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:
            os.remove(os.path.join(self.dir, "pid"))
        except FileNotFoundError:
            pass

    def stop(self, grace, pre_stop=True):
        """preStop (an exec `sleep N` is honoured as a delay), SIGTERM, SIGKILL after the grace period."""
        deadline = time.time() + grace
        self.stopping.set()
        hook = ((self.container.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command") or []
        if pre_stop and len(hook) == 2 and hook[0] == "sleep" and hook[1].isdigit() and self.proc \
                and self.proc.poll() is None:
            time.sleep(min(int(hook[1]), grace))
        self.kill(int(max(deadline - time.time(), 1)))
        if self.ident is not None:
            self.join(10)
        self.agent.ips.give(self.ip)
        LOG.info("%s/%s: stopped", self.ns, self.name)

    # ---- status
    def report(self):
        c = self.container
        running = self.proc is not None and self.proc.poll() is None and self.waiting is None
        if running:
            state = {"running": {"startedAt": self.started_at}}
        else:
            state = {"waiting": self.waiting or {"reason": "ContainerCreating"}}
        ready = running and self.ready
        cond = lambda t, s: {"type": t, "status": "True" if s else "False", "lastProbeTime": None,
                             "lastTransitionTime": now_iso()}
        status = {
            "phase": "Running" if self.started_at else "Pending",
            "hostIP": "127.0.0.1", "podIP": self.ip, "podIPs": [{"ip": self.ip}], "startTime": self.start_time,
            "conditions": [cond("Initialized", True), cond("Ready", ready), cond("ContainersReady", ready),
                           cond("PodScheduled", True)],
            "containerStatuses": [{
                "name": c["name"], "image": c.get("image", ""), "imageID": "",
                "containerID": "local://%d" % self.proc.pid if self.proc else None,
                "ready": ready, "started": running, "restartCount": self.restarts,
                "state": state, "lastState": self.last_state}],
        }
        key = json.dumps({k: v for k, v in status.items() if k != "conditions"}, sort_keys=True) + str(ready)
        if key == self.reported or self.deleted.is_set():
            return
        # Keep the transition times of unchanged conditions.
        if self.reported is not None and self.reported.endswith(str(ready)):
            status.pop("conditions")
        try:
            self.kube.merge_patch("/api/v1/namespaces/%s/pods/%s/status" % (self.ns, self.name), {"status": status})
            self.reported = key
        except ApiError as e:
            LOG.warning("%s/%s: status update failed: %s", self.ns, self.name, e)


class Agent:
    def __init__(self, args):
        self.kube = Kube(args.kubeconfig)
        self.node = args.node_name
        self.state = os.path.abspath(args.state)
        self.broker_jar = os.path.abspath(args.broker_jar)
        self.jvm_opts = args.jvm_opts.split()
        self.ips = IpPool(args.ip_base)
        os.makedirs(os.path.join(self.state, "pods"), exist_ok=True)
        self.hosts = HostsFile(os.path.join(self.state, "hosts"))
        self.runners = {}  # pod uid -> PodRunner
        self.stopping = threading.Event()
        self.last_heartbeat = 0

    # ---- node
    def node_status(self):
        cap = {"cpu": str(os.cpu_count()), "memory": "%dKi" % (os.sysconf("SC_PAGE_SIZE") *
                                                                 os.sysconf("SC_PHYS_PAGES") // 1024), "pods": "240"}
        t = now_iso()
        return {"capacity": cap, "allocatable": cap,
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "imcluster local node agent is posting ready status",
                                "lastHeartbeatTime": t, "lastTransitionTime": t}],
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                              {"type": "Hostname", "address": self.node}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
                "nodeInfo": {"kubeletVersion": "v1.20.2", "kubeProxyVersion": "v1.20.2", "osImage": "local processes",
                             "operatingSystem": "linux", "architecture": "amd64", "containerRuntimeVersion": "local://",
                             "kernelVersion": os.uname().release, "machineID": "", "systemUUID": "", "bootID": ""}}

    def register(self):
        if self.kube.get_or_none("/api/v1/nodes/" + self.node) is None:
            self.kube.call("POST", "/api/v1/nodes", {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node, "labels": {"kubernetes.io/hostname": self.node,
                                                           "kubernetes.io/os": "linux",
                                                           "imcluster.dev/local-node-agent": "true"}}})
            LOG.info("registered node %s", self.node)
        self.heartbeat()

    def heartbeat(self):
        self.kube.merge_patch("/api/v1/nodes/%s/status" % self.node, {"status": self.node_status()})
        lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + self.node
        spec = {"holderIdentity": self.node, "leaseDurationSeconds": 40, "renewTime": now_micro()}
        if self.kube.get_or_none(lease_path) is None:
            self.kube.call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.node, "namespace": "kube-node-lease"}, "spec": spec})
        else:
            self.kube.merge_patch(lease_path, {"spec": spec})
        self.last_heartbeat = time.time()

    # ---- pods
    def bind(self, pod):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        self.kube.call("POST", "/api/v1/namespaces/%s/pods/%s/binding" % (ns, name), {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": ns},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.node}})
        LOG.info("bound %s/%s", ns, name)

    def finish_delete(self, runner, grace):
        runner.stop(grace)
        runner.deleted.set()
        try:
            self.kube.call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (runner.ns, runner.name),
                           {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                            "preconditions": {"uid": runner.uid}})
        except ApiError as e:
            if e.status not in (404, 409):
                LOG.warning("%s/%s: final delete failed: %s", runner.ns, runner.name, e)

    def sync_pods(self):
        pods = self.kube.get("/api/v1/pods", labelSelector=MANAGED_SELECTOR)["items"]
        seen = set()
        for pod in pods:
            meta, spec = pod["metadata"], pod["spec"]
            uid = meta["uid"]
            if not spec.get("nodeName"):
                if not meta.get("deletionTimestamp"):
                    try:
                        self.bind(pod)
                    except ApiError as e:
                        LOG.warning("cannot bind %s/%s: %s", meta["namespace"], meta["name"], e)
                continue
            if spec["nodeName"] != self.node:
                continue
            seen.add(uid)
            runner = self.runners.get(uid)
            if meta.get("deletionTimestamp"):
                if runner is None:
                    runner = self.runners[uid] = PodRunner(self, pod)
                if not getattr(runner, "terminating", False):
                    runner.terminating = True
                    grace = meta.get("deletionGracePeriodSeconds", 30)
                    LOG.info("%s/%s: deleting (grace %ss)", meta["namespace"], meta["name"], grace)
                    threading.Thread(target=self.finish_delete, args=(runner, grace), daemon=True).start()
            elif runner is None:
                runner = self.runners[uid] = PodRunner(self, pod)
                runner.start()
        for uid in list(self.runners):
            if uid not in seen:  # force-deleted or gone
                runner = self.runners.pop(uid)
                if not getattr(runner, "terminating", False):
                    runner.deleted.set()
                    threading.Thread(target=runner.stop, args=(0, False), daemon=True).start()

    def sync_hosts(self):
        services = self.kube.get("/api/v1/services")["items"]
        pods = self.kube.get("/api/v1/pods", fieldSelector="spec.nodeName=" + self.node)["items"]
        self.hosts.update(services, pods)

    def run(self):
        self.hosts.update([], [])
        self.register()
        while not self.stopping.is_set():
            try:
                if time.time() - self.last_heartbeat >= 10:
                    self.heartbeat()
                self.sync_pods()
                self.sync_hosts()
            except Exception as e:  # the apiserver restarting, for example: try again
                LOG.warning("sync failed: %s", e)
            self.stopping.wait(1)
        self.shutdown()

    def shutdown(self):
        LOG.info("stopping %d pods", len(self.runners))
        threads = [threading.Thread(target=r.stop, args=(10, False)) for r in self.runners.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        LOG.info("stopped")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"), required=not os.environ.get("KUBECONFIG"))
    p.add_argument("--state", required=True, help="pod directories, logs and the hosts file")
    p.add_argument("--broker-jar", required=True)
    p.add_argument("--node-name", default="imcluster-local-node")
    p.add_argument("--ip-base", default="127.0.0.", help="pods get <ip-base>N, N from 10")
    p.add_argument("--jvm-opts", default="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
                   help="extra JVM options for broker pods (small footprint: many JVMs share this machine)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    agent = Agent(args)
    signal.signal(signal.SIGTERM, lambda *_: agent.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: agent.stopping.set())
    agent.run()


if __name__ == "__main__":
    main()
