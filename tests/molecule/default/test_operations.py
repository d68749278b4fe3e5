"""Operations on the running site (default scenario), seen from the client through nginx:

- searches keep working while semantik-vecpipe and semantik-webui are restarted and while webui
  is killed with SIGKILL: systemd holds the listening sockets (semantik-*.socket), so requests wait
  for the new process instead of being refused, and nginx retries a search that failed on a dying
  process. Before this the probe counted 30 of 50 searches failing with nginx's HTML 502 page;
- when webui is down for good nginx answers a JSON 503 with Retry-After, never an HTML 502;
- no host runs a mail server (cron used to pull in exim4 through its Recommends).
Figures (searches, failures, gap) are printed.
"""

import json
import shlex
import time
import uuid

import pytest

from tests.molecule.helpers import WebApi, group_host, https

testinfra_hosts = ["clients"]

CLIENTS = 5
QUERY = "how do bees pollinate flowers"

# Runs on the client in the background: CLIENTS threads search through nginx until the stop file
# appears, then write every outcome to the output file.
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


@pytest.fixture(scope="module")
def searchable(host, app, app_ip, trusted):
    """A token and an indexed collection of the sample documents; deleted afterwards."""
    api = WebApi(host, base=f"https://{app_ip}", cafile=trusted)
    token = api.admin_token(app.ansible.get_variables())
    name, job = api.index_new_collection(token, "restarts")
    assert job["status"] == "succeeded", job
    yield token, name
    https(host, app_ip, trusted, "DELETE", f"/api/collections/{name}", token)


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
    args = [f"https://{app_ip}", token, name, QUERY, trusted, str(CLIENTS), out, stop]
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


def report(label: str, results: list[dict]) -> tuple[list, list]:
    """(JSON 503 answers with Retry-After, anything else that is not a 200)."""
    gaps = [r for r in results if r["status"] == 503
            and r["type"].startswith("application/json") and r["retry_after"]]
    failed = [r for r in results if r["status"] != 200 and r not in gaps]
    slowest = max((r["seconds"] for r in results), default=0)
    print(f"\n{label}: {len(results)} searches from {CLIENTS} clients, "
          f"{len(results) - len(gaps) - len(failed)} ok, {len(gaps)} JSON 503, "
          f"{len(failed)} other failures; slowest {slowest:.1f}s")
    return gaps, failed


def test_restarting_vecpipe_and_webui_fails_no_search(
    host, web, vecpipe, app_ip, trusted, searchable
):
    def restart():
        with vecpipe.sudo(), web.sudo():
            vecpipe.run_expect([0], "systemctl restart semantik-vecpipe.service")
            web.run_expect([0], "systemctl restart semantik-webui.service")

    results = searches_around(host, app_ip, trusted, searchable, restart)
    gaps, failed = report("systemctl restart vecpipe, then webui", results)
    assert len(results) >= 10
    assert failed == [] and gaps == [], (failed + gaps)[:5]


def test_kill_9_of_webui_fails_no_search(host, web, app_ip, trusted, searchable):
    def kill():
        with web.sudo():
            pid = web.check_output("systemctl show -p MainPID --value semantik-webui.service")
            web.run_expect([0], f"kill -9 {pid}")
            deadline = time.monotonic() + 120
            while web.check_output(
                "systemctl show -p MainPID --value semantik-webui.service"
            ) in ("0", pid):
                assert time.monotonic() < deadline, "webui was not restarted"
                time.sleep(0.5)
        wait_ready(web, 8080)

    results = searches_around(host, app_ip, trusted, searchable, kill)
    gaps, failed = report("kill -9 of webui", results)
    assert len(results) >= 10
    # A search the killed process was answering is retried by nginx on the held socket; if one
    # still cannot be answered it must be the JSON 503, never an HTML page. The one exception is
    # a response the process was already writing when it died: nginx has begun forwarding it and
    # can neither retry nor replace it, so the client sees the connection cut (status 0). That
    # window is a few milliseconds: allow at most one, reported above.
    cut = [r for r in failed if r["status"] == 0]
    assert [r for r in failed if r["status"] != 0] == [], failed[:5]
    assert len(cut) <= 1, cut[:5]
    assert len(gaps) == 0, gaps[:5]


def test_webui_down_gives_a_json_503_with_retry_after(host, web, app_ip, trusted):
    with web.sudo():
        web.run_expect([0], "systemctl stop semantik-webui.socket semantik-webui.service")
    try:
        status, payload, headers = https(host, app_ip, trusted, "GET", "/api/collections")
        assert status == 503, payload
        assert headers["content-type"] == "application/json", headers.pairs
        assert set(payload) == {"detail"}, payload
        assert int(headers["retry-after"]) > 0
        assert headers.all("strict-transport-security") and headers["cache-control"] == "no-store"
    finally:
        with web.sudo():
            web.run_expect([0], "systemctl start semantik-webui.socket semantik-webui.service")
        wait_ready(web, 8080)


@pytest.mark.parametrize("group", ["proxy", "webui", "vecpipe"])
def test_no_mail_server(group):
    app = group_host(group)
    installed = app.check_output(
        "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' | awk '$2 == \"installed\"{print $1}'"
    ).split()
    mta = [p for p in installed if p.startswith(("exim4", "postfix", "bsd-mailx", "sendmail",
                                                 "nullmailer", "msmtp", "opensmtpd"))]
    assert mta == [], mta
    with app.sudo():
        listening = app.check_output("ss -Hltn")
    smtp = [line for line in listening.splitlines() if line.split()[3].endswith(":25")]
    assert smtp == [], listening
