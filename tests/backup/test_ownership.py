"""Files a root backup/restore creates in the data directory keep the services' owner."""

import os
import sqlite3

import pytest
from semantik.backup.database import backup_database

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change owners")


def test_read_only_backup_of_wal_database_leaves_sidecars_owned_by_the_db_owner(tmp_path):
    db = tmp_path / "webui.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()  # a clean close removes -wal/-shm: the backup's read-only open recreates them
    os.chown(db, 65534, 65534)
    backup_database(db, tmp_path / "copy.db")
    sidecars = [p for p in tmp_path.iterdir() if p.name.startswith("webui.db-")]
    assert sidecars, "SQLite created no -wal/-shm: this test proves nothing"
    assert all((p.stat().st_uid, p.stat().st_gid) == (65534, 65534) for p in sidecars)
