"""Helpers every scenario's testinfra modules share (import from here, never from a test module).

- inventory(), group_host(), address(): test hosts by inventory group and their addresses;
- sh(): a command on a test host that must succeed, returning its stdout; check_directory();
- ansible_playbook(): a playbook against the molecule inventory (a role run with bad input ...);
- WebApi: Semantik's HTTP API called from a test host (python3 on that host, http or https with a
  CA file), with login and "create a collection and index it to completion";
- run_cron_line(): a cron.d job's command, run the way cron runs it; check_backup_cron_job();
- searches_around(), report_searches(): a search loop from the client while an action runs;
- check_*(): end-to-end checks both Semantik runtimes run (systemd in default, compose in compose);
- offline(), check_*egress/bundle*(): the no-egress proofs of a site converged from the air-gap
  bundle (semantik_offline: internal network, no default route, packages and wheels from the
  bundle, the kernel's no-route counters).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

REPO = Path(__file__).resolve().parents[2]
WEBUI = "http://127.0.0.1:8080"
INDEX_TIMEOUT_S = 600


# --- hosts ---------------------------------------------------------------------------------------
def inventory() -> str:
    """The inventory molecule hands to the verifier (absent outside `molecule verify`)."""
    path = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not path:
        pytest.skip("needs the molecule inventory (run through `molecule verify`)")
    return path


def group_host(group: str):
    """The (single) test host of an inventory group; names carry a CI prefix, groups do not."""
    names = AnsibleRunner(inventory()).get_hosts(group)
    assert len(names) == 1, f"expected one host in group {group}, got {names}"
    return testinfra.get_host(f"ansible://{names[0]}", ansible_inventory=inventory())


def address(host) -> str:
    return host.check_output("hostname -I").split()[0]


def check_directory(host, path: str, owner: str, group: str, mode: int) -> None:
    d = host.file(path)
    assert d.is_directory, path
    assert (d.user, d.group, d.mode) == (owner, group, mode), path


def sh(host, command: str, *args) -> str:
    """Run a command on the host (testinfra quotes *args into %s); it must succeed."""
    result = host.run(command, *args)
    assert result.rc == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def ansible_playbook(
    playbook: Path | str, *args: str, limit: str = "", timeout: int = 900
) -> subprocess.CompletedProcess:
    """ansible-playbook (the verifier's own) against the molecule inventory, roles from roles/."""
    binary = Path(sys.executable).with_name("ansible-playbook")
    command = [str(binary) if binary.exists() else "ansible-playbook", "-i", inventory()]
    if limit:
        command += ["--limit", limit]
    return subprocess.run(
        [*command, *args, str(playbook)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
             "ANSIBLE_LIBRARY": str(REPO / "plugins" / "modules")},
    )



def changed_tasks(stdout: str) -> list[str]:
    """'TASK [...]: changed: [host]' for each change a playbook run reports (a failure message)."""
    found, task = [], ""
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.split("]", 1)[0] + "]"
        elif line.startswith("changed: ["):
            found.append(f"{task}: {line[:200]}")
    return found


def recap_changed(stdout: str) -> int:
    """The sum of changed= over the hosts of a playbook run's recap."""
    return sum(int(part.split("=")[1]) for line in stdout.splitlines() if "changed=" in line
               for part in line.split() if part.startswith("changed="))

# --- Semantik's HTTP API -------------------------------------------------------------------------
# Run on the test host: webui listens on its loopback, and https is checked against a CA file there.
_CLIENT = r"""
import json, ssl, sys, urllib.request, urllib.error
method, url, token, body, cafile = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=cafile) if cafile else None
req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
req.add_header("Content-Type", "application/json")
if token:
    req.add_header("Authorization", "Bearer " + token)
try:
    with urllib.request.urlopen(req, timeout=60, context=ctx) as r:
        status, text, headers = r.status, r.read().decode(), r.headers.items()
except urllib.error.HTTPError as e:
    status, text, headers = e.code, e.read().decode(), e.headers.items()
print(json.dumps({"status": status, "body": text, "headers": headers}))
"""


class Headers(dict):
    """Response headers by lower-case name (the last value); .all(name) lists every value sent,
    so a header sent twice shows twice."""

    def __init__(self, pairs):
        super().__init__((k.lower(), v) for k, v in pairs)
        self.pairs = [(k.lower(), v) for k, v in pairs]

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name.lower()]


class WebApi:
    """webui's API as seen from `host`: base URL (default its loopback), optional CA file."""

    def __init__(self, host, base: str = WEBUI, cafile: str = "") -> None:
        self.host, self.base, self.cafile = host, base, cafile

    def request(self, method: str, path: str, token: str = "", body: Any = None):
        """(status, JSON or text body, Headers)."""
        args = [method, self.base + path, token, json.dumps(body) if body is not None else ""]
        args.append(self.cafile)
        cmd = "python3 -c " + shlex.quote(_CLIENT) + " " + " ".join(shlex.quote(a) for a in args)
        out = json.loads(self.host.check_output(cmd))
        try:
            payload = json.loads(out["body"]) if out["body"] else None
        except ValueError:
            payload = out["body"]
        return out["status"], payload, Headers(out["headers"])

    def call(self, method: str, path: str, token: str = "", body: Any = None):
        """(status, JSON or text body)."""
        status, payload, _ = self.request(method, path, token, body)
        return status, payload

    def login(self, user: str, password: str):
        return self.call("POST", "/api/auth/login", body={"username": user, "password": password})

    def admin_token(self, variables: dict) -> str:
        """Log in as the inventory's first admin (variables: a Semantik host's Ansible vars)."""
        user = variables.get("semantik_admin_user", "admin")
        status, tokens = self.login(user, variables["semantik_admin_password"])
        assert status == 200, tokens
        return tokens["access_token"]

    def index_new_collection(self, token: str, prefix: str, source: str = "samples"):
        """Create a collection named prefix-<random> over `source`, index it; (name, final job)."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        status, collection = self.call(
            "POST", "/api/collections", token, {"name": name, "source": source, "index": True}
        )
        assert status == 201, collection
        job_id = collection["active_job_id"]
        assert job_id, collection
        started = time.monotonic()
        while True:
            status, job = self.call("GET", f"/api/jobs/{job_id}", token)
            assert status == 200, job
            if job["status"] not in ("queued", "running"):
                break
            assert time.monotonic() - started < INDEX_TIMEOUT_S, f"indexing still {job['status']}"
            time.sleep(2)
        job["elapsed_s"] = time.monotonic() - started
        return name, job

    def top_hit(self, token: str, collection: str, query: str) -> str:
        status, result = self.call(
            "POST", "/api/search", token, {"query": query, "collections": [collection], "k": 3}
        )
        assert status == 200, result
        assert result["hits"], result
        return result["hits"][0]["path"]


def https(
    host, app_ip: str, cafile: str, method: str, path: str, token: str = "", body: Any = None
):
    """(status, body, Headers) of an https request from `host` to nginx at app_ip, CA-checked."""
    return WebApi(host, base=f"https://{app_ip}", cafile=cafile).request(method, path, token, body)


# --- searches in a loop while something happens (restarts, upgrades, rotations) -----------------
SEARCH_CLIENTS = 5
SEARCH_QUERY = "how do bees pollinate flowers"

# Runs on the client in the background: SEARCH_CLIENTS threads search through nginx until the
# stop file appears, then write every outcome to the output file.
SEARCH_LOOP = r"""
import json, os, ssl, sys, threading, time, urllib.error, urllib.request
base, token, collection, query, cafile, clients, out, stop = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=cafile)
body = json.dumps({"query": query, "collections": [collection], "k": 3}).encode()
results, lock = [], threading.Lock()
def search():
    req = urllib.request.Request(base + "/api/search", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + token})
    started = time.time()
    try:
        with urllib.request.urlopen(req, timeout=150, context=ctx) as r:
            status, headers, text = r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read().decode()
    except Exception as e:
        status, headers, text = 0, {}, repr(e)
    return {"at": started, "seconds": round(time.time() - started, 3), "status": status,
            "type": headers.get("Content-Type", ""), "retry_after": headers.get("Retry-After"),
            "body": "" if status == 200 else text[:300]}
def loop():
    while not os.path.exists(stop):
        result = search()
        with lock:
            results.append(result)
threads = [threading.Thread(target=loop) for _ in range(int(clients))]
for t in threads: t.start()
for t in threads: t.join()
with open(out + ".tmp", "w") as f: json.dump(results, f)
os.rename(out + ".tmp", out)
"""


def wait_ready(app, port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.run(f"curl -fs -o /dev/null -m 5 http://127.0.0.1:{port}/readyz").rc == 0:
            return
        time.sleep(1)
    raise AssertionError(f"nothing ready on :{port} after {timeout}s")


def searches_around(host, app_ip, trusted, searchable, action) -> list[dict]:
    """Every search the loop made while `action` ran (plus a few seconds on either side)."""
    token, name = searchable
    run_id = uuid.uuid4().hex[:8]
    out, stop = f"/tmp/search-loop-{run_id}.json", f"/tmp/search-loop-{run_id}.stop"
    args = [f"https://{app_ip}", token, name, SEARCH_QUERY, trusted, str(SEARCH_CLIENTS), out, stop]
    host.run_expect([0], "nohup python3 -c {} {} >/tmp/search-loop-{}.log 2>&1 &".format(
        shlex.quote(SEARCH_LOOP), " ".join(shlex.quote(a) for a in args), run_id))
    time.sleep(3)
    try:
        action()
        time.sleep(3)
    finally:
        host.run_expect([0], f"touch {stop}")
    deadline = time.monotonic() + 200
    while not host.file(out).exists:
        assert time.monotonic() < deadline, host.run(f"cat /tmp/search-loop-{run_id}.log").stdout
        time.sleep(1)
    return json.loads(host.file(out).content_string)


def report_searches(label: str, results: list[dict]) -> tuple[list, list]:
    """(JSON 503 answers with Retry-After, anything else that is not a 200)."""
    gaps = [r for r in results if r["status"] == 503
            and r["type"].startswith("application/json") and r["retry_after"]]
    failed = [r for r in results if r["status"] != 200 and r not in gaps]
    slowest = max((r["seconds"] for r in results), default=0)
    print(f"\n{label}: {len(results)} searches from {SEARCH_CLIENTS} clients, "
          f"{len(results) - len(gaps) - len(failed)} ok, {len(gaps)} JSON 503, "
          f"{len(failed)} other failures; slowest {slowest:.1f}s")
    return gaps, failed


# --- cron ----------------------------------------------------------------------------------------
def run_cron_line(host, cron_file: str, command_name: str) -> float:
    """Run the command of the line in cron_file that names command_name as cron would (its user, a
    bare environment); it must succeed. Returns the seconds it took."""
    line = next(
        ln
        for ln in host.file(cron_file).content_string.splitlines()
        if command_name in ln and not ln.startswith(("#", "SHELL", "PATH", "MAILTO"))
    )
    fields = line.split()
    user, command = fields[5], " ".join(fields[6:])
    started = time.monotonic()
    sh(host, f"runuser -u {user} -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin {command}")
    return time.monotonic() - started


def check_backup_cron_job(host) -> None:
    """The backup role's cron.d job runs the backup command through the journal, cron runs."""
    cron = host.file("/etc/cron.d/semantik-backup")
    assert cron.exists and cron.user == "root" and cron.mode == 0o644
    assert "systemd-cat --identifier=semantik-backup /usr/local/sbin/semantik-backup" in (
        cron.content_string
    )
    assert host.service("cron").is_running and host.service("cron").is_enabled


# --- end to end, the same on both runtimes -------------------------------------------------------
def check_wrong_password_is_refused(host) -> None:
    user = host.ansible.get_variables().get("semantik_admin_user", "admin")
    status, body = WebApi(host).login(user, "not-the-password")
    assert status == 401, body


def check_login_index_and_search(host) -> None:
    """Log in as the admin, index the sample documents, searches find the expected documents."""
    api = WebApi(host)
    variables = host.ansible.get_variables()
    user = variables.get("semantik_admin_user", "admin")
    status, tokens = api.login(user, variables["semantik_admin_password"])
    assert status == 200, tokens
    assert tokens["user"]["is_admin"]
    token = tokens["access_token"]
    name, job = api.index_new_collection(token, "e2e")
    try:
        done, chunks, seconds = job["files_done"], job["chunks"], job["elapsed_s"]
        print(f"\nindexed {done} files, {chunks} chunks in {seconds:.1f}s")
        assert job["status"] == "succeeded", job
        assert job["files_done"] >= 6 and job["failed"] == 0, job
        assert api.top_hit(token, name, "how do bees pollinate flowers").endswith("honeybees.txt")
        assert api.top_hit(token, name, "feeding a starter of wild yeast").endswith("sourdough.md")
    finally:
        # Leave the host as the converge made it.
        status, _ = api.call("DELETE", f"/api/collections/{name}", token)
        assert status == 204


def check_search_without_login_is_refused(host) -> None:
    status, _ = WebApi(host).call("POST", "/api/search", body={"query": "bees"})
    assert status == 401


# --- no egress (semantik_offline: a site converged from the air-gap bundle) ---------------------
BUNDLE_APT_SOURCE = "file:/var/lib/semantik-bundle/apt"
# Probes that try to reach out on purpose add to the no-route counters; each records how much in
# this file on the host, so a second `molecule verify` on the same hosts still compares what the
# site did.
EGRESS_PROBES = "/var/tmp/semantik-egress-probes"


def offline(host) -> bool:
    """The inventory's semantik_offline (the scenario's no-egress switch)."""
    return str(host.ansible.get_variables().get("semantik_offline", "")).lower() == "true"


def _counter(text: str, table: str, field: str) -> int:
    rows = [line.split()[1:] for line in text.split("\n") if line.startswith(table + ":")]
    names, values = rows[:2]
    return int(values[names.index(field)])


def no_route_counts(host) -> dict[str, int]:
    """The kernel's counts of packets that found no route, since the host (its network namespace)
    started."""
    snmp = sh(host, "cat /proc/net/snmp")
    netstat = sh(host, "cat /proc/net/netstat")
    snmp6 = dict(line.split() for line in sh(host, "cat /proc/net/snmp6").split("\n") if line)
    return {
        # A packet of the host's own processes to an address out of the network (no route).
        "Ip OutNoRoutes": _counter(snmp, "Ip", "OutNoRoutes"),
        # A packet forwarded towards one (containers of an inner Docker's bridges).
        "IpExt InNoRoutes": _counter(netstat, "IpExt", "InNoRoutes"),
        "Ip6OutNoRoutes": int(snmp6.get("Ip6OutNoRoutes", 0)),
        "Ip6InNoRoutes": int(snmp6.get("Ip6InNoRoutes", 0)),
    }


def check_nothing_tried_to_leave(host) -> None:
    """No packet tried to leave since the host started, less what the probes recorded."""
    counts = no_route_counts(host)
    probes = host.run("cat %s", EGRESS_PROBES).stdout.split()
    counts["Ip OutNoRoutes"] -= sum(int(n) for n in probes)
    name = host.backend.host
    print(f"\n{name}: no-route counters since it started, less {len(probes)} probe(s): {counts}")
    assert counts == dict.fromkeys(counts, 0), (name, counts)


def check_networks_are_internal(host) -> None:
    """Every Docker network of the test host (a container of the controller's dockerd) is
    internal."""
    name = host.ansible.get_variables()["inventory_hostname"]
    networks = json.loads(subprocess.check_output(
        ["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", name], text=True))
    assert networks, name
    for network in networks:
        internal = subprocess.check_output(
            ["docker", "network", "inspect", "--format", "{{.Internal}}", network], text=True)
        assert internal.strip() == "true", f"{name} is on {network}, which is not internal"


def check_no_route_and_no_name_resolution_out(host) -> None:
    """No default route, no route to an outside address, no outside name resolves; the lookup is
    forwarded by Docker's embedded DNS from the host's namespace and counted, so the counters of
    check_nothing_tried_to_leave() do see an attempt (recorded as a probe)."""
    assert sh(host, "ip -4 route show default").strip() == ""
    route = host.run("ip -4 route get 1.1.1.1")
    assert route.rc != 0 and "unreachable" in route.stderr, route.stdout
    before = no_route_counts(host)["Ip OutNoRoutes"]
    assert host.run("getent ahosts deb.debian.org").rc != 0
    probe = no_route_counts(host)["Ip OutNoRoutes"] - before
    sh(host, "echo %s >> " + EGRESS_PROBES, str(probe))
    assert probe > 0


def check_bundle_is_the_only_apt_source(host) -> None:
    assert not host.file("/etc/apt/sources.list").exists
    assert sh(host, "ls /etc/apt/sources.list.d").split() == ["semantik-bundle.sources"]
    targets = sh(host, "apt-get indextargets --format '$(REPO_URI)'")
    uris = {line.strip() for line in targets.split("\n") if line.strip()}
    assert uris <= {BUNDLE_APT_SOURCE + "/"}, uris


def check_installed_from_the_bundle(host, package: str) -> None:
    """The installed version of the package is offered by the bundle's repository, and by nothing
    else but dpkg's status file."""
    policy = sh(host, "apt-cache policy %s", package)
    # The version table: "*** <installed version> <prio>" followed by the sources offering it.
    table = policy.split("Version table:", 1)[1].split("\n")
    start = next(i for i, line in enumerate(table) if line.strip().startswith("***"))
    sources = []
    for line in table[start + 1:]:
        if line.strip() and not line.startswith("        "):
            break
        sources.append(line.strip())
    assert any(BUNDLE_APT_SOURCE in s for s in sources), policy
    assert all(BUNDLE_APT_SOURCE in s or "/var/lib/dpkg/status" in s for s in sources if s), policy
