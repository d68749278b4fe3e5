"""Scheduled backups on the compose runtime (role backup, semantik_runtime=compose).

The cron job's own command runs `semantik backup` inside the webui container; the archive lands in
the host's /var/backups/semantik (bind-mounted, 0700, owned by the image's user) with a manifest
whose sha256s match every file, checked twice: on the host by reading the tar, and in the
container by the code a restore verifies with. A collection over the sample documents is indexed
first (and deleted afterwards) so the archive holds vectors. A restore on compose is refused early
with a message naming semantik_runtime.
"""

from __future__ import annotations

import hashlib
import json
import tarfile

import pytest

from tests.molecule.helpers import WebApi, check_backup_cron_job, run_cron_line, sh

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]

BACKUP_DIR = "/var/backups/semantik"
PROJECT_DIR = "/opt/semantik"


@pytest.fixture(scope="module")
def indexed(host):
    """A collection over the sample documents, indexed to completion; deleted afterwards."""
    api = WebApi(host)
    token = api.admin_token(host.ansible.get_variables())
    name, job = api.index_new_collection(token, "backup")
    assert job["status"] == "succeeded" and job["chunks"] > 0, job
    yield name
    status, _ = api.call("DELETE", f"/api/collections/{name}", token)
    assert status == 204


@pytest.fixture(scope="module")
def backup(host, indexed):
    """Run the cron job's command line as cron would (its user, a bare environment)."""
    seconds = run_cron_line(host, "/etc/cron.d/semantik-backup", "semantik-backup")
    status = json.loads(host.file(f"{BACKUP_DIR}/status.json").content_string)
    print(f"\ncompose backup (cron command) {seconds:.1f}s: {status.get('last_archive')}")
    return status


def test_cron_job_and_backup_dir(host):
    check_backup_cron_job(host)
    wrapper = host.file("/usr/local/sbin/semantik-backup").content_string
    assert "docker compose exec -T" in wrapper and "webui semantik backup" in wrapper
    assert "/venv/" not in wrapper  # no venv on a compose host
    backups = host.file(BACKUP_DIR)
    assert backups.is_directory and backups.uid == 10001 and backups.mode == 0o700
    assert "BACKUP_DIR=/var/backups/semantik" in host.file(f"{PROJECT_DIR}/.env").content_string


def test_backup_dir_mounted_into_webui(host):
    names = sh(
        host, "docker ps --filter label=com.docker.compose.service=webui --format '{{.Names}}'"
    ).split()
    assert names, "no webui container"
    mounts = json.loads(sh(host, "docker inspect --format '{{json .Mounts}}' %s", names[0]))
    found = [m for m in mounts if m["Destination"] == BACKUP_DIR]
    assert found and found[0]["Source"] == BACKUP_DIR and found[0]["RW"] is True, mounts


def test_cron_command_writes_a_verified_archive(host, backup):
    assert backup["last_result"] == "ok", backup
    archive = backup["last_archive"]
    assert archive.startswith(f"{BACKUP_DIR}/semantik-backup-") and archive.endswith(".tar.gz")
    f = host.file(archive)
    assert f.exists and f.mode == 0o600 and f.size == backup["last_size_bytes"]
    logged = sh(host, "journalctl -t semantik-backup -o cat --no-pager")
    assert f"semantik-backup: ok archive={archive} " in logged, logged
    # Nothing half-written is left next to it.
    leftovers = sh(host, "find %s -mindepth 1 -name '.*'", BACKUP_DIR).split()
    assert [p for p in leftovers if not p.endswith("/.lock")] == [], leftovers


def test_archive_manifest_sha256_matches_every_file(host, backup, indexed, tmp_path):
    # Read independently of the app: every member but the manifest is listed with its sha256.
    local = tmp_path / "archive.tar.gz"
    local.write_bytes(host.file(backup["last_archive"]).content)
    with tarfile.open(local, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        manifest = json.load(tar.extractfile(members.pop("manifest.json")))
        assert manifest["format"] == "semantik-backup/1"
        assert set(members) == set(manifest["files"]), (sorted(members), manifest["files"])
        for name, member in members.items():
            digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            assert digest == manifest["files"][name]["sha256"], name
            assert member.size == manifest["files"][name]["size"], name
    assert "database/webui.db" in manifest["files"]
    assert manifest["versions"]["vector_store"] == "embedded"
    # The collection indexed for this test is in the archive with its points.
    assert manifest["collections"].get(indexed, 0) > 0, manifest["collections"]
    for name in manifest["collections"]:
        assert f"vectors/{name}.tar" in manifest["files"]


def test_archive_passes_the_restores_verification_in_the_container(host, backup):
    # The gate `semantik restore` runs before it touches anything (checksums, format, shards).
    probe = (
        "import sys, tempfile; from pathlib import Path; "
        "from semantik.backup.archive import open_archive; "
        "from semantik.shared.settings import get_settings; "
        "m = open_archive(Path(sys.argv[1]), get_settings(), Path(tempfile.mkdtemp()) / 's'); "
        "print(len(m.files), sum(m.collections.values()))"
    )
    out = sh(
        host,
        f"cd {PROJECT_DIR} && docker compose exec -T webui python3 -c %s %s",
        probe,
        backup["last_archive"],
    )
    files, points = (int(x) for x in out.split())
    assert files >= 2 and points > 0, out


def test_corrupted_archive_is_refused_by_the_verification(host, backup):
    bad = f"{BACKUP_DIR}/corrupt-test.tar.gz"
    sh(host, "cp -p %s %s", backup["last_archive"], bad)
    try:
        size = int(sh(host, "stat -c %%s %s", bad))
        # One flipped byte in the middle of the compressed stream.
        sh(
            host,
            "python3 -c %s %s %s",
            "import sys; p, o = sys.argv[1], int(sys.argv[2]); f = open(p, 'r+b'); f.seek(o); "
            "b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xFF])); f.close()",
            bad,
            str(size // 2),
        )
        probe = (
            "import sys, tempfile; from pathlib import Path; "
            "from semantik.backup.archive import open_archive; "
            "from semantik.backup.errors import ArchiveRefused; "
            "from semantik.shared.settings import get_settings\n"
            "try:\n"
            "    open_archive(Path(sys.argv[1]), get_settings(), Path(tempfile.mkdtemp()) / 's')\n"
            "except ArchiveRefused as exc:\n"
            "    print('refused:', exc); sys.exit(3)\n"
        )
        result = host.run(
            f"cd {PROJECT_DIR} && docker compose exec -T webui python3 -c %s %s", probe, bad
        )
        assert result.rc == 3 and "refused:" in result.stdout, (result.stdout, result.stderr)
    finally:
        host.run("rm -f %s", bad)


def test_restore_on_compose_refuses_early_naming_the_runtime(host):
    result = host.run("/usr/local/sbin/semantik-restore %s/none.tar.gz", BACKUP_DIR)
    assert result.rc == 2 and "semantik_runtime=compose" in result.stderr, result.stderr
