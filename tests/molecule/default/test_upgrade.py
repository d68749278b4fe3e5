"""Releases, upgrades and rollbacks on the converged site (default scenario), from the client:

- the layout: /opt/semantik/current -> releases/<version>-<build id>, the units run current/venv,
  /opt/semantik/venv is a link; `semantik --version` and /api/about name the running release;
- no-op: site.yml again changes nothing, and upgrade.yml to the running release changes nothing
  (both timed, printed);
- upgrade N -> N+1 (a wheel of this tree with a bumped version and one more database migration,
  MIGRATION=1) while 5 clients search through nginx. The release comes the way the site takes its
  packages: with semantik_offline (the scenario's no-egress default) as a next air-gap bundle
  (scripts/build-next-bundle.sh: the scenario's bundle with the bumped wheel, its own hash-pinned
  lock and manifest, passed as semantik_bundle_dir); without, as a wheelhouse archive (scripts/build-next-wheelhouse.sh,
  semantik_wheelhouse_archive): data, users and the session survive the migration; failed
  searches and the slowest search (the restart window) are printed;
- an upgrade to a release whose vecpipe exits at start (and whose webui migrates the database, then
  exits: BROKEN=vecpipe,webui, MIGRATION=2) rolls back by itself on the vecpipe host: the play fails
  naming the host and the reason, the site answers searches on N+1;
- the same release on the web host alone (--limit): its webui migrates the database, then the gate
  fails; the host goes back to N+1 and the database copy taken before the switch goes back too
  (schema of N+1 again); users, collections, the pre-upgrade session and searches survive;
- rollback.yml to N (one schema older than the database) is refused, nothing changed, services
  not restarted; once the test's migration is undone by hand (as an operator would restore the
  backup), rollback.yml goes back to N on every host: self-restoring.
Times of each playbook are printed.
"""

import json
import os
import shlex
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
DATABASE = "/var/lib/semantik/webui.db"
# The tables the test releases' migrations create (scripts/build-next-wheelhouse.sh MIGRATION=N).
MIGRATION_TABLE = "test_release_migration_{}"
_built: dict[str, list[str]] = {}


def sqlite(web, sql: str) -> str:
    """One statement on webui's database as its owner; the rows, one per line."""
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
              "[print(*row) for row in c.execute(sys.argv[2])]")
    return web.check_output(f"runuser -u semantik -- python3 -c {shlex.quote(script)} "
                            f"{DATABASE} {shlex.quote(sql)}")


def schema(web) -> int:
    return int(sqlite(web, "SELECT MAX(version) FROM schema_version"))


def tables(web) -> set[str]:
    return set(sqlite(web, "SELECT name FROM sqlite_master WHERE type = 'table'").split())


def build(host, version: str, name: str, broken: str = "", migrations: int = 0) -> list[str]:
    """Release `version` of this tree for upgrade.yml: its extra vars. An offline site gets a next
    bundle (build/bundle-<name>), an online one a wheelhouse archive (build/wheelhouse-<name>.tar).
    Built once per module run (the broken release serves two tests).
    """
    if name in _built:
        return _built[name]
    if offline(host):
        script, out = "build-next-bundle.sh", REPO / "build" / f"bundle-{name}"
        extra_vars = ["-e", f"semantik_bundle_dir={out}"]
    else:
        script, out = "build-next-wheelhouse.sh", REPO / "build" / f"wheelhouse-{name}.tar"
        extra_vars = ["-e", f"semantik_wheelhouse_archive={out}",
                      "-e", "semantik_wheelhouse_build=false"]
    subprocess.run([str(REPO / "scripts" / script), version, str(out)],
                   check=True, cwd=REPO, env={**os.environ, "BROKEN": broken,
                                              "MIGRATION": str(migrations),
                                              "PYTHON": str(REPO / ".venv" / "bin" / "python")})
    _built[name] = extra_vars
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
def schema_n(web):
    """The database schema of the scenario's release."""
    return schema(web)


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
        host, web, vecpipe, app_ip, trusted, searchable, release_n, schema_n):
    extra_vars = build(web, NEXT_VERSION, "next", migrations=1)
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
    # N+1's migration ran (webui migrates when it starts).
    assert schema(web) == schema_n + 1 and MIGRATION_TABLE.format(1) in tables(web)
    for semantik, group in ((web, "webui"), (vecpipe, "vecpipe")):
        previous = semantik.check_output("basename $(readlink /opt/semantik/previous)")
        assert previous == release_n[group]
    assert failed == [], failed[:5]


def test_broken_upgrade_rolls_back_by_itself(host, web, vecpipe, app_ip, trusted, searchable):
    extra_vars = build(web, BROKEN_VERSION, "broken", broken="vecpipe,webui", migrations=2)
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


def test_broken_upgrade_after_a_migration_restores_the_database(
        host, web, vecpipe, app_ip, trusted, searchable, schema_n):
    """The broken release on the web host alone: its webui migrates the database (N+1's schema + 1),
    then exits; the host goes back to N+1 with the database copy taken before the switch."""
    extra_vars = build(web, BROKEN_VERSION, "broken", broken="vecpipe,webui", migrations=2)
    running = releases(web, vecpipe)
    token, name = searchable  # logged in before the upgrade: this session must survive it
    before = https(host, app_ip, trusted, "GET", f"/api/collections/{name}", token)[1]
    users_before, schema_before = users(web), schema(web)
    assert schema_before == schema_n + 1
    outcome = {}

    def upgrade():
        outcome["result"], outcome["seconds"] = playbook(
            "playbooks/upgrade.yml", "--limit", web.backend.host, *extra_vars)

    results = searches_around(host, app_ip, trusted, searchable, upgrade)
    result = outcome["result"]
    gaps, failed = report_searches(f"broken upgrade of the web host -> {BROKEN_VERSION}", results)
    print(f"broken upgrade of the web host -> {BROKEN_VERSION} (migrates, then fails), rolled back "
          f"with its database by itself: {outcome['seconds']:.1f}s; {len(gaps) + len(failed)} "
          f"failed searches (webui of the one web host down meanwhile)")
    assert result.returncode != 0
    said = " ".join((result.stdout + result.stderr).split())
    assert f"Upgrade of {web.backend.host} to release {BROKEN_VERSION}-" in said, said[-4000:]
    assert f"is back on release {running['webui']}" in said, said[-4000:]
    # The new release did migrate before it failed, and the pre-upgrade copy went back.
    assert (f"its database is the pre-upgrade one again (schema {schema_before}, the new release "
            f"had migrated it to {schema_before + 1})") in said, said[-4000:]
    assert releases(web, vecpipe) == running
    assert schema(web) == schema_before
    assert MIGRATION_TABLE.format(2) not in tables(web)
    assert MIGRATION_TABLE.format(1) in tables(web)
    assert not web.file("/var/lib/semantik/.webui.db.pre-upgrade").exists
    assert users(web) == users_before
    status, after, _ = https(host, app_ip, trusted, "GET", f"/api/collections/{name}", token)
    assert status == 200 and after["chunks"] == before["chunks"], (before, after)
    status, found, _ = https(host, app_ip, trusted, "POST", "/api/search", token,
                             {"query": "how do bees pollinate flowers", "collections": [name]})
    assert status == 200 and found["results"], found
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert about["release"] == running["webui"] and about["version"] == NEXT_VERSION, about


def test_rollback_across_a_schema_change_is_refused(
        host, web, vecpipe, app_ip, trusted, searchable, release_n, schema_n):
    """N knows one schema less than the database N+1 migrated: rollback.yml refuses before anything
    changes (the web host goes first, the run stops there)."""
    running = releases(web, vecpipe)
    hosts = {"webui": web, "vecpipe": vecpipe}
    started = {group: semantik.check_output(f"systemctl show -p ActiveEnterTimestampMonotonic "
                                            f"--value semantik-{group}")
               for group, semantik in hosts.items()}
    result, seconds = playbook("playbooks/rollback.yml")
    print(f"\nrollback.yml across a schema change, refused: {seconds:.1f}s")
    assert result.returncode != 0
    said = " ".join((result.stdout + result.stderr).split())
    assert (f"but the database on {web.backend.host} is at schema {schema_n + 1}: it would not "
            "start") in said, said[-4000:]
    assert "Nothing was changed" in said and f"is still on release {running['webui']}" in said
    assert releases(web, vecpipe) == running
    for group, semantik in hosts.items():
        previous = semantik.check_output("basename $(readlink /opt/semantik/previous)")
        assert previous == release_n[group]
        assert semantik.check_output(f"systemctl show -p ActiveEnterTimestampMonotonic "
                                     f"--value semantik-{group}") == started[group], "restarted"
    token, name = searchable
    status, found, _ = https(host, app_ip, trusted, "POST", "/api/search", token,
                             {"query": "how do bees pollinate flowers", "collections": [name]})
    assert status == 200 and found["results"], found


def test_rollback_to_the_scenario_release(
        host, web, vecpipe, app_ip, trusted, searchable, release_n, schema_n):
    # The test's migration undone, as an operator would restore the pre-upgrade backup: the
    # database is at N's schema again (N+1 keeps running meanwhile; it reads N's tables).
    sqlite(web, f"DROP TABLE IF EXISTS {MIGRATION_TABLE.format(1)}")
    sqlite(web, f"DELETE FROM schema_version WHERE version > {int(schema_n)}")  # noqa: S608
    # To `previous` on each host: a named release (semantik_rollback_to) is one host's directory,
    # and the build ids differ between the vecpipe and the webui hosts.
    result, seconds = playbook("playbooks/rollback.yml")
    print(f"\nrollback.yml -> {release_n}: {seconds:.1f}s")
    assert result.returncode == 0, result.stdout[-4000:]
    assert releases(web, vecpipe) == release_n
    token, _ = searchable
    status, about, _ = https(host, app_ip, trusted, "GET", "/api/about", token)
    assert status == 200 and about["release"] == release_n["webui"], about
    assert schema(web) == schema_n
    for semantik in (web, vecpipe):
        kept = semantik.check_output("ls -1 /opt/semantik/releases").split()
        assert len(kept) <= 3, kept  # semantik_keep_releases
