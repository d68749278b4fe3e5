"""The webui database: SQLite's online backup API, consistent while webui keeps writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from semantik.backup.errors import ArchiveRefused, BackupError
from semantik.backup.ownership import match_owner


def backup_database(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise BackupError(f"database {src} does not exist")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        # One step under a read transaction: a consistent snapshot (WAL included) while webui
        # keeps writing (WAL readers do not block writers). Copying in slices would restart
        # whenever webui commits in between.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {src} failed: {exc}") from exc
    finally:
        target.close()
        source.close()
        # A read-only open of a WAL database leaves -wal/-shm behind: keep them webui's.
        match_owner([src.with_name(src.name + s) for s in ("-wal", "-shm")], src)


def check_database(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ArchiveRefused(f"archived database is unreadable: {exc}") from exc
    if result != "ok":
        raise ArchiveRefused(f"archived database fails SQLite's integrity check: {result}")
