"""The `semantik backup` / `semantik restore` commands: exit codes and one line per run."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "webui.db")
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('admin')")
    conn.commit()
    conn.close()
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "semantik.env").write_text("SEMANTIK_LOG_LEVEL=info\n")
    return {
        **os.environ,
        "SEMANTIK_DATA_DIR": str(data),
        "SEMANTIK_CONFIG_DIR": str(tmp_path / "etc"),
        "SEMANTIK_BACKUP_DIR": str(tmp_path / "backups"),
        # Nothing listens here: vecpipe is "stopped", the (empty) store is read directly.
        "SEMANTIK_VECPIPE_URL": "http://127.0.0.1:9",
        "SEMANTIK_WEBUI_URL": "http://127.0.0.1:9",
    }


def _run(env, *args):
    return subprocess.run(["semantik", *args], env=env, capture_output=True, text=True, timeout=120)


def test_backup_prints_one_line_and_writes_status(env, tmp_path):
    result = _run(env, "backup")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("semantik-backup: ok archive=")
    assert "collections=0" in lines[0]
    archives = list((tmp_path / "backups").glob("semantik-backup-*.tar.gz"))
    assert len(archives) == 1
    assert '"last_result": "ok"' in (tmp_path / "backups" / "status.json").read_text()

    other = tmp_path / "elsewhere"
    result = _run(env, "backup", "--to", str(other))
    assert result.returncode == 0 and len(list(other.glob("semantik-backup-*"))) == 1


def test_backup_failure_exit_1_and_status(env, tmp_path):
    Path(env["SEMANTIK_DATA_DIR"], "webui.db").unlink()
    result = _run(env, "backup")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().startswith("semantik-backup: failed (exit 1): database")
    assert '"last_result": "failed"' in (tmp_path / "backups" / "status.json").read_text()
    assert not list((tmp_path / "backups").glob("*.tar.gz*"))


def test_locked_exit_5(env, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    with (backups / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        result = _run(env, "backup")
    assert result.returncode == 5 and "another backup or restore is running" in result.stderr


def test_restore_of_garbage_exit_3_and_untouched(env, tmp_path):
    bogus = tmp_path / "semantik-backup-20260101T000000Z.tar.gz"
    bogus.write_bytes(b"not a tarball at all")
    db = Path(env["SEMANTIK_DATA_DIR"], "webui.db")
    before = db.read_bytes()
    result = _run(env, "restore", str(bogus), "--service-control", "none")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("semantik-restore: failed (exit 3):")
    assert "corrupt" in result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["webui.db"]


def test_restore_missing_archive_exit_3(env, tmp_path):
    result = _run(env, "restore", str(tmp_path / "nope.tar.gz"), "--service-control", "none")
    assert result.returncode == 3 and "no archive at" in result.stderr


def test_restore_drill_command(env, tmp_path):
    """No archive yet: exit 1 and one line; after a backup: one ok line with restored/live counts,
    the status file written and no scratch copy left."""
    conn = sqlite3.connect(Path(env["SEMANTIK_DATA_DIR"], "webui.db"))
    conn.execute("CREATE TABLE collections (name TEXT)")
    conn.commit()
    conn.close()
    prom = tmp_path / "textfile" / "semantik_restore_drill.prom"
    env = {**env, "SEMANTIK_RESTORE_DRILL_METRICS_FILE": str(prom)}
    result = _run(env, "restore-drill")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("semantik-restore-drill: failed (exit 1): no archive")
    assert "semantik_restore_drill_success 0" in prom.read_text()

    assert _run(env, "backup").returncode == 0
    result = _run(env, "restore-drill")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith("semantik-restore-drill: ok archive=")
    assert "users=1/1 collections=0/0 points=0/?" in line
    assert "semantik_restore_drill_success 1" in prom.read_text()
    assert not list((tmp_path / "backups").glob(".drill-*"))
