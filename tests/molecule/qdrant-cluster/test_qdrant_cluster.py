"""Role `qdrant` in distributed mode on 3 peers (molecule/qdrant-cluster/molecule.yml).

Runs only with a real Qdrant binary (QDRANT_ARTIFACT); the Makefile skips the scenario without
one. Per-peer checks run on every host; the failover checks drive the whole cluster from the
first peer (the other hosts skip them: "checked on one host").
"""

from __future__ import annotations

import json
import shlex
import time

import pytest
import testinfra
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

from tests.molecule.helpers import inventory

CONFIG = "/etc/qdrant/config.yaml"
UNIT = "/etc/systemd/system/qdrant.service"
KEY = "/etc/qdrant/secrets/api_key"
COLLECTION = "molecule_cluster_probe"
CATCH_UP_TIMEOUT_S = 300

# Runs on the peer: the key is read from its file there, never passed on a command line.
_REQUEST = r"""
import json, sys, urllib.request, urllib.error
method, url, key_file, body = sys.argv[1:5]
req = urllib.request.Request(url, method=method, data=body.encode() or None)
req.add_header("Content-Type", "application/json")
req.add_header("api-key", open(key_file).read())
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        status, text = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    status, text = e.code, e.read().decode()
except OSError as e:
    status, text = 0, json.dumps({"error": str(e)})
print(json.dumps({"status": status, "body": text}))
"""


def peers() -> list:
    """The peers in inventory order (the first one started the cluster)."""
    names = AnsibleRunner(inventory()).get_hosts("qdrant")
    return [testinfra.get_host(f"ansible://{n}", ansible_inventory=inventory()) for n in names]


def config(host) -> dict:
    with host.sudo():
        return yaml.safe_load(host.file(CONFIG).content_string)


def api(host, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A request to the peer's own REST API (its bind address), with the shared API key."""
    service = config(host)["service"]
    url = f"http://{service['host']}:{service['http_port']}{path}"
    args = " ".join(shlex.quote(a) for a in (url, method, KEY, json.dumps(body) if body else ""))
    with host.sudo():
        out = host.run(f"python3 -c {shlex.quote(_REQUEST)} {args}")
    assert out.rc == 0, out.stderr
    answer = json.loads(out.stdout)
    try:
        return answer["status"], json.loads(answer["body"] or "{}")
    except json.JSONDecodeError:
        return answer["status"], {"text": answer["body"]}


def exec_args(host) -> list[str]:
    lines = host.file(UNIT).content_string.splitlines()
    line = next(ln for ln in lines if ln.startswith("ExecStart="))
    return line.rstrip("'").split(" exec ", 1)[1].split()


def wait_for(what: str, check, timeout: float = CATCH_UP_TIMEOUT_S) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(2)
    pytest.fail(f"not within {timeout}s: {what}")


def only_on_the_first_peer(host) -> list:
    all_peers = peers()
    if host.backend.get_hostname() != all_peers[0].backend.get_hostname():
        pytest.skip("checked on one host")
    return all_peers


# --- every peer -----------------------------------------------------------------------------------


def test_peer_is_active_ready_and_in_cluster_mode(host):
    assert host.service("qdrant.service").is_running
    assert host.service("qdrant.service").is_enabled
    assert api(host, "GET", "/readyz")[0] == 200
    cfg = config(host)
    assert cfg["cluster"]["enabled"] is True and cfg["cluster"]["p2p"]["port"] == 6335


def test_first_peer_starts_the_cluster_and_the_others_bootstrap_from_it(host):
    first = peers()[0]
    first_uri = f"http://{config(first)['service']['host']}:6335"
    args = exec_args(host)
    assert args[args.index("--uri") + 1] == f"http://{config(host)['service']['host']}:6335"
    if host.backend.get_hostname() == first.backend.get_hostname():
        assert "--bootstrap" not in args
    else:
        assert args[args.index("--bootstrap") + 1] == first_uri


def test_cluster_has_three_peers_and_a_leader(host):
    status, body = api(host, "GET", "/cluster")
    assert status == 200, body
    result = body["result"]
    assert result["status"] == "enabled"
    assert len(result["peers"]) == 3, result["peers"]
    assert result["raft_info"]["leader"] is not None


# --- the cluster, driven from the first peer ------------------------------------------------


def points(start: int, count: int) -> dict:
    return {
        "points": [
            {"id": i, "vector": [1.0, (i % 7) / 7, (i % 5) / 5, (i % 3) / 3], "payload": {"n": i}}
            for i in range(start, start + count)
        ]
    }


def count(host) -> int | None:
    status, body = api(host, "POST", f"/collections/{COLLECTION}/points/count", {"exact": True})
    return body["result"]["count"] if status == 200 else None


def searches(host, n: int = 10) -> int:
    """Searches that answer with results, out of n."""
    ok = 0
    for _ in range(n):
        status, body = api(
            host, "POST", f"/collections/{COLLECTION}/points/query",
            {"query": [1.0, 0.5, 0.5, 0.5], "limit": 5},
        )  # fmt: skip
        ok += status == 200 and len(body["result"]["points"]) == 5
    return ok


def replicas(all_peers) -> tuple[int, bool]:
    """Points held over all local shard replicas of the collection (Qdrant's figure, printed), and
    whether every replica is active with no transfer running."""
    total, settled = 0, True
    for peer in all_peers:
        status, body = api(peer, "GET", f"/collections/{COLLECTION}/cluster")
        if status != 200:
            return 0, False
        info = body["result"]
        settled &= not info.get("shard_transfers")
        settled &= all(s["state"] == "Active" for s in info["local_shards"] + info["remote_shards"])
        total += sum(s["points_count"] for s in info["local_shards"])
    return total, settled


def test_replicated_collection_survives_a_peer_down_and_the_peer_catches_up(host):
    all_peers = only_on_the_first_peer(host)
    first, second, last = all_peers[0], all_peers[1], all_peers[-1]
    body = {
        "vectors": {"size": 4, "distance": "Cosine"},
        "shard_number": 3,
        "replication_factor": 2,
        "write_consistency_factor": 1,
    }
    api(first, "DELETE", f"/collections/{COLLECTION}")
    assert api(first, "PUT", f"/collections/{COLLECTION}", body)[0] == 200
    try:
        upsert = f"/collections/{COLLECTION}/points?wait=true"
        assert api(first, "PUT", upsert, points(0, 60))[0] == 200
        wait_for("every replica active", lambda: replicas(all_peers)[1], 60)

        with last.sudo():
            last.check_output("systemctl stop qdrant.service")
        try:
            # The others keep answering every search and the exact count.
            answered = {p.backend.get_hostname(): searches(p) for p in (first, second)}
            print(f"\nsearches answered with {last.backend.get_hostname()} stopped: {answered}")
            assert set(answered.values()) == {10}
            assert count(first) == count(second) == 60
            # Writes go on with one copy confirming (write_consistency_factor 1).
            assert api(first, "PUT", upsert, points(60, 20))[0] == 200
            assert count(second) == 80
        finally:
            with last.sudo():
                last.check_output("systemctl start qdrant.service")

        wait_for("the restarted peer ready", lambda: api(last, "GET", "/readyz")[0] == 200)
        seconds = wait_for(
            "every replica active again, no transfer running", lambda: replicas(all_peers)[1]
        )
        held = replicas(all_peers)[0]
        print(f"\ncatch-up of {last.backend.get_hostname()}: {seconds:.1f}s; points held: {held}")
        assert count(last) == 80 and searches(last) == 10
        # The proof it caught up: with the second peer stopped, the shards it shared with the
        # restarted peer are served from the restarted peer's copies alone.
        with second.sudo():
            second.check_output("systemctl stop qdrant.service")
        try:
            assert count(first) == count(last) == 80
            assert searches(last) == 10
        finally:
            with second.sudo():
                second.check_output("systemctl start qdrant.service")
        wait_for("the second peer back", lambda: replicas(all_peers)[1])
    finally:
        api(first, "DELETE", f"/collections/{COLLECTION}")


def test_first_peer_restarted_rejoins_without_bootstrap(host):
    all_peers = only_on_the_first_peer(host)
    first = all_peers[0]
    assert "--bootstrap" not in exec_args(first)
    with first.sudo():
        first.check_output("systemctl restart qdrant.service")
    wait_for("the first peer ready", lambda: api(first, "GET", "/readyz")[0] == 200)

    def three_peers_and_a_leader():
        status, body = api(first, "GET", "/cluster")
        result = body.get("result") or {}
        return status == 200 and len(result.get("peers", {})) == 3 and result["raft_info"]["leader"]

    wait_for("3 peers and a leader seen from the restarted first peer", three_peers_and_a_leader)
    for peer in all_peers:
        status, body = api(peer, "GET", "/cluster")
        assert status == 200 and len(body["result"]["peers"]) == 3
