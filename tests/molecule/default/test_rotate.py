"""playbooks/rotate-secrets.yml on the running site (default scenario), seen from the client:

- the JWT signing key and the internal webui->vecpipe key rotated while 5 clients search through
  nginx: no search fails, the access token issued before the rotation keeps working (the loop
  searches with it), new tokens name the new key id, the old internal key is refused by vecpipe
  at the end of the run, the journal has one line per step with key ids and never a secret, and a
  rerun of the same request changes nothing;
- after the window (shortened with -e rotate_jwt_window_minutes=0) the old signing key is dropped:
  a token it signed is refused, and that browser session refreshes into a new token;
- the TLS rotation serves a certificate with a new serial and nginx keeps answering;
- the admin password rotation sets the password given as an extra var without printing it, a
  rerun changes nothing; the test puts the inventory's password back.
Figures (searches, failures, slowest) are printed.
"""

import json
import re
import shlex
import time

import jwt
import pytest
from semantik.shared import keyring

from tests.molecule.helpers import (
    REPO,
    WebApi,
    ansible_playbook,
    report_searches,
    searches_around,
)

testinfra_hosts = ["clients"]

PLAYBOOK = REPO / "playbooks" / "rotate-secrets.yml"
SECRETS = "/etc/semantik/secrets"


@pytest.fixture(scope="module")
def api(app_ip, trusted, host):
    return WebApi(host, base=f"https://{app_ip}", cafile=trusted)


@pytest.fixture(scope="module")
def admin(web):
    variables = web.ansible.get_variables()
    return variables.get("semantik_admin_user", "admin"), variables["semantik_admin_password"]


def ring(host, name: str) -> list[keyring.Key]:
    with host.sudo():
        return keyring.parse(host.check_output(f"cat {SECRETS}/{name}"))


def rotate(*extra: str) -> str:
    result = ansible_playbook(PLAYBOOK, *extra)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def changed_counts(output: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r"^(\S+)\s+:.*changed=(\d+)", output, re.M)}


def vecpipe_status(vecpipe, key: str) -> str:
    address = vecpipe.ansible.get_variables().get("semantik_vecpipe_host", "127.0.0.1")
    return vecpipe.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}}' -H {shlex.quote('X-API-Key: ' + key)} "
        f"http://{address}:8000/models"
    )


def kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_jwt_and_internal_key_rotation_fails_no_search(
    host, app_ip, trusted, api, admin, web, vecpipe, session, searchable
):
    tokens, _ = session
    jwt_before, internal_before = ring(web, "jwt_secret"), ring(vecpipe, "internal_api_key")
    assert kid(tokens["access_token"]) == jwt_before[0].kid
    outputs = []

    def rotation():
        started = time.monotonic()
        # forced: this host may have been rotated by an earlier run of this module.
        outputs.append(rotate("-e", "rotate=jwt,internal_key", "-e", "rotate_force=true"))
        print(f"\nrotation of jwt + internal_key took {time.monotonic() - started:.0f}s")

    results = searches_around(host, app_ip, trusted, searchable, rotation)
    gaps, failed = report_searches("rotate jwt + internal_key", results)
    assert len(results) >= 10
    assert failed == [] and gaps == [], (failed + gaps)[:5]

    jwt_after, internal_after = ring(web, "jwt_secret"), ring(vecpipe, "internal_api_key")
    # JWT: a new current key, the old one still in the ring; the old token still works.
    assert jwt_after[0].kid not in [k.kid for k in jwt_before]
    assert [k.kid for k in jwt_after[1:]][: len(jwt_before)] == [k.kid for k in jwt_before]
    status, me = api.call("GET", "/api/auth/me", tokens["access_token"])
    assert status == 200, me
    status, fresh = api.login(*admin)
    assert status == 200 and kid(fresh["access_token"]) == jwt_after[0].kid
    # Internal key: only the new one is left, and vecpipe refuses the old one.
    assert len(internal_after) == 1 and internal_after[0].secret != internal_before[0].secret
    assert vecpipe_status(vecpipe, internal_before[0].secret) == "401"
    assert vecpipe_status(vecpipe, internal_after[0].secret) == "200"

    # Logged with key ids, never a secret (neither in the journal nor in Ansible's output).
    # The key rings are changed on one Semantik host and copied to the others: every host that
    # holds them has the same rings, and the log is on that one host.
    assert ring(web, "internal_api_key") == internal_after
    assert ring(vecpipe, "jwt_secret") == jwt_after
    journal = ""
    for holder in (web, vecpipe):
        with holder.sudo():
            journal += holder.check_output("journalctl -q -o cat -t semantik-rotate") + "\n"
    assert f"kind=jwt action=add-current current={jwt_after[0].kid}" in journal, journal
    assert f"kind=internal_key action=prune current={internal_after[0].kid}" in journal, journal
    for key in jwt_before + jwt_after + internal_before + internal_after:
        assert key.secret not in journal and key.secret not in outputs[0]

    # The same request again: nothing to do.
    again = rotate("-e", "rotate=jwt,internal_key")
    assert set(changed_counts(again).values()) == {0}, again[-3000:]
    assert [k.kid for k in ring(web, "jwt_secret")] == [k.kid for k in jwt_after]


def test_after_the_window_the_old_signing_key_is_dropped(api, web, session):
    tokens, _ = session
    old_kid = kid(tokens["access_token"])
    assert old_kid in [k.kid for k in ring(web, "jwt_secret")]
    rotate("-e", "rotate=jwt", "-e", "rotate_jwt_window_minutes=0")
    keys = ring(web, "jwt_secret")
    assert [k.kid for k in keys] == [keys[0].kid]
    status, body = api.call("GET", "/api/auth/me", tokens["access_token"])
    assert status == 401 and body["detail"] == "invalid access token", body
    # The browser's session is not lost: its refresh token gets a token of the current key.
    status, refreshed = api.call(
        "POST", "/api/auth/refresh", body={"refresh_token": tokens["refresh_token"]}
    )
    assert status == 200, refreshed
    assert kid(refreshed["access_token"]) == keys[0].kid
    assert api.call("GET", "/api/auth/me", refreshed["access_token"])[0] == 200


def served_serial(host, app_ip: str) -> str:
    out = host.check_output(
        f"openssl s_client -connect {app_ip}:443 </dev/null 2>/dev/null "
        "| openssl x509 -noout -serial"
    )
    return out.strip().split("=", 1)[1]


def test_tls_rotation_serves_a_new_certificate(host, app, app_ip, trusted, api):
    before = served_serial(host, app_ip)
    rotate("-e", "rotate=tls", "-e", "rotate_force=true")
    after = served_serial(host, app_ip)
    print(f"\ncertificate serial {before} -> {after}")
    assert after != before
    # nginx keeps serving, with the new certificate: the client trusts it from now on (the CA
    # file of this scenario's client tests, so the tests after this one use it too).
    pem = app.check_output("cat /etc/ssl/semantik/fullchain.pem")
    host.run_expect([0], f"printf '%s\\n' {shlex.quote(pem)} > {trusted}")
    status, _, _ = api.request("GET", "/readyz")
    assert status == 200
    with app.sudo():
        journal = app.check_output("journalctl -q -o cat -t semantik-rotate")
    logged = [int(m) for m in re.findall(r"kind=tls action=rotated serial=(\d+)", journal)]
    assert int(after, 16) in logged, journal
    # A rerun without force: the certificate is this rotation's own, nothing changes.
    again = rotate("-e", "rotate=tls")
    assert set(changed_counts(again).values()) == {0}, again[-3000:]


def test_admin_password_rotation_never_prints_it(tmp_path, api, admin):
    user, original = admin
    new = "rotated-admin-" + str(int(time.time()))
    extra = tmp_path / "admin.json"
    try:
        for _ in range(2):
            extra.write_text(json.dumps({"rotate": "admin_password", "rotate_admin_password": new}))
            out = rotate("-e", f"@{extra}")
            assert new not in out
        assert set(changed_counts(out).values()) == {0}, out[-3000:]  # the rerun: nothing
        assert api.login(user, new)[0] == 200
        assert api.login(user, original)[0] == 401
    finally:
        extra.write_text(json.dumps({"rotate": "admin_password",
                                     "rotate_admin_password": original}))
        rotate("-e", f"@{extra}")
    assert api.login(user, original)[0] == 200
