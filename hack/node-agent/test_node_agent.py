"""Unit tests of the node agent's pure parts: python3 -m unittest discover -s hack/node-agent"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_agent  # noqa: E402


def pod(name, ip, labels, ready=True, hostname=None, deleting=False):
    p = {"metadata": {"name": name, "namespace": "ns", "labels": labels},
         "spec": {}, "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": str(ready)}]}}
    if hostname:
        p["spec"]["hostname"] = hostname
    if deleting:
        p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return p


def service(name, selector, headless=False, publish_not_ready=False):
    spec = {"selector": selector, "clusterIP": "None" if headless else "10.96.0.10"}
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec}


class RewritePathsTest(unittest.TestCase):
    mounts = {"/etc/imcluster": "/s/config", "/data": "/s/data", "/var/run/secrets/imcluster/auth": "/s/auth"}

    def test_rewrites_whole_path_prefixes(self):
        self.assertEqual("/s/config/broker.yaml", node_agent.rewrite_paths("/etc/imcluster/broker.yaml", self.mounts))
        self.assertEqual("/s/data", node_agent.rewrite_paths("/data", self.mounts))
        self.assertEqual("--dir=/s/data", node_agent.rewrite_paths("--dir=/data", self.mounts))
        self.assertEqual("hs256SecretFile: /s/auth/secret\n",
                         node_agent.rewrite_paths("hs256SecretFile: /var/run/secrets/imcluster/auth/secret\n",
                                                  self.mounts))

    def test_leaves_other_paths_alone(self):
        for value in ("/database", "/srv/data", "/etc/imcluster2/x", "data", "http://host/data?x=1"):
            self.assertEqual(value, node_agent.rewrite_paths(value, self.mounts))


    def test_a_replaced_path_is_not_rewritten_again(self):
        # The state dir under /tmp while the pod mounts an emptyDir at /tmp: one pass, no double rewrite.
        mounts = {"/etc/imcluster": "/tmp/state/pod/volumes/config", "/tmp": "/tmp/state/pod/volumes/tmp"}
        self.assertEqual("/tmp/state/pod/volumes/config/broker.yaml",
                         node_agent.rewrite_paths("/etc/imcluster/broker.yaml", mounts))
        self.assertEqual("/tmp/state/pod/volumes/tmp/x", node_agent.rewrite_paths("/tmp/x", mounts))


class HostsFileTest(unittest.TestCase):
    def render(self, services, pods):
        with tempfile.TemporaryDirectory() as d:
            return node_agent.HostsFile(os.path.join(d, "hosts")).render(services, pods).splitlines()

    def test_service_names_map_to_ready_selected_pods(self):
        lines = self.render([service("logic", {"c": "logic"})], [
            pod("logic-a", "127.0.0.10", {"c": "logic"}),
            pod("logic-b", "127.0.0.11", {"c": "logic"}, ready=False),
            pod("logic-c", "127.0.0.12", {"c": "logic"}, deleting=True),
            pod("comet-a", "127.0.0.13", {"c": "comet"})])
        self.assertIn("127.0.0.10 logic logic.ns logic.ns.svc logic.ns.svc.cluster.local", lines)
        self.assertFalse([line for line in lines if line.startswith(("127.0.0.11", "127.0.0.12", "127.0.0.13"))])

    def test_headless_services_name_each_pod(self):
        lines = self.render([service("comet-headless", {"c": "comet"}, headless=True)], [
            pod("comet-a", "127.0.0.10", {"c": "comet"}),
            pod("comet-b", "127.0.0.11", {"c": "comet"}, hostname="b")])
        self.assertIn("127.0.0.10 comet-a.comet-headless.ns comet-a.comet-headless.ns.svc "
                      "comet-a.comet-headless.ns.svc.cluster.local", lines)
        self.assertIn("127.0.0.11 b.comet-headless.ns b.comet-headless.ns.svc b.comet-headless.ns.svc.cluster.local",
                      lines)
        self.assertEqual(2, len([line for line in lines if " comet-headless.ns.svc " in line]))

    def test_publish_not_ready_addresses(self):
        lines = self.render([service("nats", {"c": "nats"}, publish_not_ready=True)],
                            [pod("nats-0", "127.0.0.10", {"c": "nats"}, ready=False)])
        self.assertIn("127.0.0.10 nats nats.ns nats.ns.svc nats.ns.svc.cluster.local", lines)

    def test_localhost_always_resolves(self):
        self.assertEqual("127.0.0.1 localhost", self.render([], [])[0])


class IpPoolTest(unittest.TestCase):
    def test_addresses_are_unique_and_reused_lowest_first(self):
        pool = node_agent.IpPool("127.0.0.")
        a, b = pool.take(), pool.take()
        self.assertEqual(("127.0.0.10", "127.0.0.11"), (a, b))
        pool.give(a)
        self.assertEqual("127.0.0.10", pool.take())


if __name__ == "__main__":
    unittest.main()
