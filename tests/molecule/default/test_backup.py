"""Backups that restore, on the default scenario's app host (roles semantik + backup, systemd).

After indexing a collection: run the cron job's own command; stop the services and delete the
database and the vector store; run playbooks/restore.yml against the molecule inventory; the
same searches return the same results, users and collections are back, point counts are equal.
A corrupted archive: the playbook fails with a clear message and nothing is touched.
"""

from __future__ import annotations

import json
import shlex
import time

import pytest

from tests.molecule.helpers import REPO, ansible_playbook, check_backup_cron_job, run_cron_line, sh

testinfra_hosts = ["webui"]

BACKUP_DIR = "/var/backups/semantik"
COLLECTION = "backuptest"
QUERIES = ["sourdough wild yeast", "ownership and borrowing", "cats hunting at dusk"]
DOCS = {
    "bread.txt": "Sourdough bread rises with wild yeast. Knead, prove overnight, bake hot.",
    "rust.txt": "Rust's borrow checker enforces ownership and borrowing rules at compile time.",
    "cats.txt": "Cats are small carnivores; a cat sleeps by day and goes hunting at dusk.",
}
CLI = (
    "runuser -u semantik -- env SEMANTIK_ENV_FILE=/etc/semantik/semantik.env "
    "SEMANTIK_SECRETS_DIR=/etc/semantik/secrets /opt/semantik/venv/bin/semantik"
)
# Points per collection as vecpipe reports them (read on the host, with the internal API key).
COUNTS = """python3 -c '
import json, urllib.request
key = open("/etc/semantik/secrets/internal_api_key").read().split("\\n")[0].split()[-1]
req = urllib.request.Request("http://127.0.0.1:8000/collections", headers={"X-API-Key": key})
print(json.dumps({c["name"]: c["points_count"] for c in json.load(urllib.request.urlopen(req))}))
'"""


def _state(host) -> dict:
    searches = {}
    for q in QUERIES:
        out = json.loads(sh(host, f"{CLI} search {COLLECTION} {shlex.quote(q)} --k 3 --json"))
        searches[q] = [(h["path"], round(h["score"], 4)) for h in out["hits"]]
    # Whole rows: the restored database must be the archived one, not just similar.
    users = json.loads(sh(host, f"{CLI} users list --json"))
    collections = json.loads(sh(host, f"{CLI} collections list --json"))
    return {
        "searches": searches,
        "users": users,
        "collections": collections,
        "points": json.loads(sh(host, COUNTS)),
    }


def _wait_ready(host, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            host.run(
                "curl -fsS http://127.0.0.1:8000/readyz && curl -fsS http://127.0.0.1:8080/readyz"
            ).rc
            == 0
        ):
            return
        time.sleep(2)
    raise AssertionError("services not ready")


def _playbook(host, playbook: str, *extra: str):
    return ansible_playbook(REPO / "playbooks" / playbook, *extra, limit=host.backend.host)


def _fingerprint(host) -> str:
    """Digest of the database and the vector store, and when vecpipe last started."""
    return sh(
        host,
        "cd /var/lib/semantik && find webui.db vectors -type f -print0 | sort -z "
        "| xargs -0 sha256sum | sha256sum; "
        "systemctl show -p ActiveEnterTimestamp semantik-vecpipe.service",
    )


@pytest.fixture(scope="module")
def indexed(host):
    """A collection of our own, indexed to completion, and its searches before any backup."""
    with host.sudo():
        _wait_ready(host)
        folder = f"/srv/documents/{COLLECTION}"
        sh(host, f"mkdir -p {folder}")
        for name, text in DOCS.items():
            sh(host, f"printf %s {shlex.quote(text)} > {folder}/{name}")
        if COLLECTION not in sh(host, f"{CLI} collections list --json"):
            sh(host, f"{CLI} collections create {COLLECTION} --source {COLLECTION}")
        sh(host, f"{CLI} index {COLLECTION} --wait")
        state = _state(host)
    yield state
    # Our documents must not end up in collections other tests build over the documents root.
    with host.sudo():
        sh(host, f"rm -rf /srv/documents/{COLLECTION}")


def test_cron_job_schedules_the_backup_command(host):
    check_backup_cron_job(host)
    backups = host.file(BACKUP_DIR)
    assert backups.is_directory and backups.user == "root" and backups.mode == 0o700
    with host.sudo():
        env = host.file("/etc/semantik-backup/backup.env")
        assert env.mode == 0o600 and "SEMANTIK_BACKUP_DIR=/var/backups/semantik" in (
            env.content_string
        )


def test_backup_then_disaster_then_restore_playbook(host, indexed):
    assert indexed["searches"][QUERIES[0]][0][0].endswith("bread.txt")
    assert indexed["points"][COLLECTION] >= 3
    assert COLLECTION in [c["name"] for c in indexed["collections"]]
    assert "admin" in [u["username"] for u in indexed["users"]]
    with host.sudo():
        # The cron job's own command line, as cron would run it (its user, its PATH).
        backup_seconds = run_cron_line(host, "/etc/cron.d/semantik-backup", "semantik-backup")
        logged = sh(host, "journalctl -t semantik-backup -o cat --no-pager")
        assert "semantik-backup: ok archive=/var/backups/semantik/semantik-backup-" in logged
        status = json.loads(host.file(f"{BACKUP_DIR}/status.json").content_string)
        assert status["last_result"] == "ok"
        archive = status["last_archive"]
        assert host.file(archive).mode == 0o600

        # Disaster: services stopped, database and vectors gone.
        # The sockets too, or the next request would start the services again.
        sh(host, "systemctl stop semantik-webui.socket semantik-webui.service "
                 "semantik-vecpipe.socket semantik-vecpipe.service")
        sh(host, "rm -rf /var/lib/semantik/webui.db* /var/lib/semantik/vectors")

    started = time.monotonic()
    result = _playbook(host, "restore.yml")
    restore_seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "semantik-restore: ok" in result.stdout

    with host.sudo():
        _wait_ready(host)
        assert host.service("semantik-vecpipe.service").is_running
        assert host.service("semantik-webui.service").is_running
        after = _state(host)
        assert host.file("/var/lib/semantik/webui.db").user == "semantik"
    assert after == indexed
    print(f"\nbackup (cron command) {backup_seconds:.1f}s; restore playbook {restore_seconds:.1f}s")


def test_corrupted_archive_is_refused_and_nothing_changes(host, indexed):
    with host.sudo():
        status = json.loads(host.file(f"{BACKUP_DIR}/status.json").content_string)
        bad = "/root/corrupted-backup.tar.gz"
        sh(host, f"cp {status['last_archive']} {bad}")
        size = int(sh(host, f"stat -c %s {bad}"))
        sh(host, f"printf 'XXXXXXXX' | dd of={bad} bs=1 seek={size // 2} conv=notrunc status=none")
        before = _fingerprint(host)

    result = _playbook(host, "restore.yml", "-e", f"backup_restore_archive={bad}")
    assert result.returncode != 0
    assert "exit 3" in result.stdout and "corrupt" in result.stdout

    with host.sudo():
        assert _fingerprint(host) == before  # same data, vecpipe never restarted
        assert host.service("semantik-vecpipe.service").is_running
        assert _state(host) == indexed
        sh(host, f"rm -f {bad}")
