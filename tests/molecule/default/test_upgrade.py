"""Releases, upgrades and rollbacks on the converged site (default scenario), from the client:

- the layout: /opt/semantik/current -> releases/<version>-<build id>, the units run current/venv,
  /opt/semantik/venv is a link; `semantik --version` and /api/about name the running release;
- no-op: site.yml again changes nothing, and upgrade.yml to the running release changes nothing
  (both timed, printed);
- upgrade N -> N+1 (a wheel of this tree with a bumped version) while 5 clients search through
  nginx. The release comes the way the site takes its packages: with semantik_offline (the
  scenario's no-egress default) as a next air-gap bundle (scripts/build-next-bundle.sh: the
  scenario's bundle with the bumped wheel, its own hash-pinned lock and manifest, passed as
  semantik_bundle_dir); without, as a wheelhouse archive (scripts/build-next-wheelhouse.sh,
  semantik_wheelhouse_archive): data, users and the session survive; failed searches and
  the slowest search (the restart window) are printed;
- an upgrade to a release whose vecpipe exits at start rolls back by itself: the play fails naming
  the host and the reason, the site answers searches on N+1;
- rollback.yml goes back to the previous release, N (the scenario's), on every host: self-restoring.
Times of each playbook are printed.
"""

import json
import os
import subprocess
import time

import pytest

from tests.molecule.helpers import (
    REPO,
    ansible_playbook,
    changed_tasks,
    https,
    offline,
    recap_changed,
    report_searches,
    searches_around,
)

testinfra_hosts = ["clients"]

NEXT_VERSION, BROKEN_VERSION = "99.0.1", "99.0.2"
USERS_LIST = ("runuser -u semantik -- env SEMANTIK_ENV_FILE=/etc/semantik/semantik.env "
              "SEMANTIK_SECRETS_DIR=/etc/semantik/secrets /opt/semantik/venv/bin/semantik "
              "users list --json")


def build(host, version: str, name: str, broken: str = "") -> list[str]:
    """Release `version` of this tree for upgrade.yml: its extra vars. An offline site gets a next
    bundle (build/bundle-<name>), an online one a wheelhouse archive (build/wheelhouse-<name>.tar).
    """
    if offline(host):
        script, out = "build-next-bundle.sh", REPO / "build" / f"bundle-{name}"
        extra_vars = ["-e", f"semantik_bundle_dir={out}"]
    else:
        script, out = "build-next-wheelhouse.sh", REPO / "build" / f"wheelhouse-{name}.tar"
        extra_vars = ["-e", f"semantik_wheelhouse_archive={out}",
                      "-e", "semantik_wheelhouse_build=false"]
    subprocess.run([str(REPO / "scripts" / script), version, str(out)],
                   check=True, cwd=REPO, env={**os.environ, "BROKEN": broken,
                                              "PYTHON": str(REPO / ".venv" / "bin" / "python")})
    return extra_vars


def users(web) -> list:
    """Accounts as (name, admin, disabled): the canary's login changes last_login_at."""
    return [(u["username"], u["is_admin"], u["disabled"])
            for u in json.loads(web.check_output(USERS_LIST))]


def current(host) -> str:
    return host.check_output("basename $(readlink /opt/semantik/current)")


def releases(web, vecpipe) -> dict[str, str]:
    """The release each Semantik host runs, by group. Each host has its own build id (a vecpipe
    host installs the vecpipe extra), the version is the site's."""
    return {"webui": current(web), "vecpipe": current(vecpipe)}


def versions(running: dict[str, str]) -> set[str]:
    return {release.rsplit("-", 1)[0] for release in running.values()}


def playbook(name: str, *args: str):
    started = time.monotonic()
    result = ansible_playbook(REPO / name, *args, timeout=1500)
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def release_n(web, vecpipe):
    """The scenario's releases (by group, one version); every test of this module leaves the site
    on them."""
    running = releases(web, vecpipe)
    assert len(versions(running)) == 1, running
    return running


def test_release_layout_and_reported_release(
        host, web, vecpipe, app_ip, trusted, searchable, release_n):
    for semantik, group in ((web, "webui"), (vecpipe, "vecpipe")):
        release, unit = release_n[group], f"semantik-{group}"
        assert semantik.file("/opt/semantik/current").is_symlink
        assert semantik.file(
            f"/opt/semantik/releases/{release}/venv/semantik-release.json").is_file
        assert semantik.check_output("readlink /opt/semantik/venv") == "/opt/semantik/current/venv"
        exec_start = semantik.check_output(f"systemctl show -p ExecStart --value {unit}")
        assert "/opt/semantik/current/venv/bin/semantik" in exec_start
        version = semantik.check_output("/opt/semantik/venv/bin/semantik --version")
        assert version.endswith(f"(release {release})"), version
    token, _ = searchable
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert status == 200 and about["release"] == release_n["webui"], about


def test_second_site_run_and_upgrade_to_the_running_release_change_nothing(
        host, web, vecpipe, release_n):
    result, seconds = playbook("site.yml")
    print(f"\nno-op site.yml: {seconds:.1f}s, changed={recap_changed(result.stdout)}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap_changed(result.stdout) == 0, changed_tasks(result.stdout)
    result, seconds = playbook("playbooks/upgrade.yml")
    print(f"no-op upgrade.yml (to the running release): {seconds:.1f}s, "
          f"changed={recap_changed(result.stdout)}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap_changed(result.stdout) == 0, changed_tasks(result.stdout)
    assert releases(web, vecpipe) == release_n


def test_upgrade_under_searches_keeps_data_users_and_sessions(
        host, web, vecpipe, app_ip, trusted, searchable, release_n):
    extra_vars = build(web, NEXT_VERSION, "next")
    token, name = searchable
    before = https(host, app_ip, trusted, "GET", f"/api/collections/{name}", token)[1]
    users_before = users(web)
    outcome = {}

    def upgrade():
        outcome["result"], outcome["seconds"] = playbook("playbooks/upgrade.yml", *extra_vars)

    results = searches_around(host, app_ip, trusted, searchable, upgrade)
    result = outcome["result"]
    assert result.returncode == 0, result.stdout[-4000:]
    gaps, failed = report_searches(f"upgrade {release_n} -> {NEXT_VERSION}", results)
    slow = [r for r in results if r["seconds"] > 1.0]
    window = (max(r["at"] + r["seconds"] for r in slow) - min(r["at"] for r in slow)) if slow else 0
    print(f"upgrade.yml {release_n} -> {NEXT_VERSION}: {outcome['seconds']:.1f}s; "
          f"{len(gaps) + len(failed)} failed searches; restart window (searches slower than 1 s) "
          f"{window:.1f}s")
    # vecpipe's hosts first, then webui's (upgrade.yml), every one on the new release.
    after_upgrade = releases(web, vecpipe)
    assert versions(after_upgrade) == {NEXT_VERSION}, after_upgrade
    # The session from before the upgrade still works; data and users are the same.
    status, after, _ = https(host, app_ip, trusted, "GET", f"/api/collections/{name}", token)
    assert status == 200 and after["chunks"] == before["chunks"], (before, after)
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert about["release"] == current(web) and about["version"] == NEXT_VERSION, about
    assert users(web) == users_before
    for semantik, group in ((web, "webui"), (vecpipe, "vecpipe")):
        previous = semantik.check_output("basename $(readlink /opt/semantik/previous)")
        assert previous == release_n[group]
    assert failed == [], failed[:5]


def test_broken_upgrade_rolls_back_by_itself(host, web, vecpipe, app_ip, trusted, searchable):
    extra_vars = build(web, BROKEN_VERSION, "broken", broken="vecpipe")
    running = releases(web, vecpipe)
    result, seconds = playbook("playbooks/upgrade.yml", *extra_vars)
    print(f"\nbroken upgrade -> {BROKEN_VERSION}, rolled back by itself: {seconds:.1f}s")
    assert result.returncode != 0
    said = " ".join((result.stdout + result.stderr).split())  # a failed task reports on stderr
    # The vecpipe host goes first and fails: it is back on the release it ran, and the run stops
    # there, so the webui host is never touched.
    assert f"Upgrade of {vecpipe.backend.host} to release {BROKEN_VERSION}-" in said, said[-4000:]
    assert f"is back on release {running['vecpipe']}" in said, said[-4000:]
    assert releases(web, vecpipe) == running
    token, name = searchable
    status, found, _ = https(host, app_ip, trusted, "POST", "/api/search", token,
                             {"query": "how do bees pollinate flowers", "collections": [name]})
    assert status == 200 and found["results"], found
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert about["release"] == running["webui"], about


def test_rollback_to_the_scenario_release(
        host, web, vecpipe, app_ip, trusted, searchable, release_n):
    # To `previous` on each host: a named release (semantik_rollback_to) is one host's directory,
    # and the build ids differ between the vecpipe and the webui hosts.
    result, seconds = playbook("playbooks/rollback.yml")
    print(f"\nrollback.yml -> {release_n}: {seconds:.1f}s")
    assert result.returncode == 0, result.stdout[-4000:]
    assert releases(web, vecpipe) == release_n
    token, _ = searchable
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert status == 200 and about["release"] == release_n["webui"], about
    for semantik in (web, vecpipe):
        kept = semantik.check_output("ls -1 /opt/semantik/releases").split()
        assert len(kept) <= 3, kept  # semantik_keep_releases
