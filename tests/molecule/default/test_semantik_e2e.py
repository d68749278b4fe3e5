"""End to end on default-app, over HTTP as a user would: log in as the admin, create a collection
over the sample documents, index it to completion, search finds the right document.

Requests run on the app host itself (webui listens on loopback only) with its python3.
"""

import json
import shlex
import time
import uuid

import pytest

WEBUI = "http://127.0.0.1:8080"
INDEX_TIMEOUT_S = 600

CLIENT = r"""
import json, sys, urllib.request, urllib.error
method, url, token, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
req.add_header("Content-Type", "application/json")
if token:
    req.add_header("Authorization", "Bearer " + token)
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        status, text = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    status, text = e.code, e.read().decode()
print(json.dumps({"status": status, "body": text}))
"""


@pytest.fixture(autouse=True)
def _only_webui_hosts(host):
    if "webui" not in host.ansible.get_variables().get("group_names", []):
        pytest.skip("not a webui host")


def api(host, method, path, token="", body=None):
    args = [method, WEBUI + path, token, json.dumps(body) if body is not None else ""]
    cmd = "python3 -c " + shlex.quote(CLIENT) + " " + " ".join(shlex.quote(a) for a in args)
    out = json.loads(host.check_output(cmd))
    try:
        payload = json.loads(out["body"]) if out["body"] else None
    except ValueError:
        payload = out["body"]
    return out["status"], payload


def login(host, password):
    user = host.ansible.get_variables().get("semantik_admin_user", "admin")
    return api(host, "POST", "/api/auth/login", body={"username": user, "password": password})


def test_wrong_password_is_refused(host):
    status, body = login(host, "not-the-password")
    assert status == 401, body


def test_login_index_and_search(host):
    password = host.ansible.get_variables()["semantik_admin_password"]
    status, tokens = login(host, password)
    assert status == 200, tokens
    token = tokens["access_token"]
    assert tokens["user"]["is_admin"]

    name = f"e2e-{uuid.uuid4().hex[:8]}"
    status, collection = api(
        host, "POST", "/api/collections", token, {"name": name, "source": "samples", "index": True}
    )
    assert status == 201, collection
    job_id = collection["active_job_id"]
    assert job_id, collection

    started = time.monotonic()
    while True:
        status, job = api(host, "GET", f"/api/jobs/{job_id}", token)
        assert status == 200, job
        if job["status"] not in ("queued", "running"):
            break
        assert time.monotonic() - started < INDEX_TIMEOUT_S, f"indexing still {job['status']}"
        time.sleep(2)
    elapsed = time.monotonic() - started
    print(f"\nindexed {job['files_done']} files, {job['chunks']} chunks in {elapsed:.1f}s")
    assert job["status"] == "succeeded", job
    assert job["files_done"] >= 6 and job["failed"] == 0, job

    status, result = api(
        host, "POST", "/api/search", token,
        {"query": "how do bees pollinate flowers", "collections": [name], "k": 3},
    )
    assert status == 200, result
    assert result["hits"], result
    assert result["hits"][0]["path"].endswith("honeybees.txt"), result["hits"]

    status, result = api(
        host, "POST", "/api/search", token,
        {"query": "feeding a starter of wild yeast", "collections": [name], "k": 3},
    )
    assert status == 200, result
    assert result["hits"][0]["path"].endswith("sourdough.md"), result["hits"]

    # Leave the host as the converge made it.
    status, _ = api(host, "DELETE", f"/api/collections/{name}", token)
    assert status == 204


def test_search_without_login_is_refused(host):
    status, _ = api(host, "POST", "/api/search", body={"query": "bees"})
    assert status == 401
