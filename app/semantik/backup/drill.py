"""`semantik restore-drill`: prove the newest backup restores, without touching live data.

The archive is unpacked into a scratch directory inside the backup directory and verified exactly
as a restore would (checksums, database integrity, every embedded shard loaded with its archived
point count); then users, collections and points are counted in the restored copy and next to the
live counts (database opened read-only, points from vecpipe when it answers). The scratch copy is
always removed. The result goes to status-drill.json in the backup directory and, when configured,
to a Prometheus textfile (SEMANTIK_RESTORE_DRILL_METRICS_FILE) for the alerts.

Live counts differ from the archive's whenever something changed after the backup: they are
reported, not judged. The drill fails when the archive cannot be restored and read back.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from semantik.backup import retention
from semantik.backup.archive import DB_ENTRY, open_archive
from semantik.backup.database import check_database
from semantik.backup.errors import ArchiveRefused, BackupError
from semantik.backup.ownership import match_owner
from semantik.backup.status import record_run, write_textfile
from semantik.backup.units import exclusive_lock
from semantik.backup.vectors import EmbeddedStore, engine_installed, vecpipe_client
from semantik.shared.settings import Settings

STATUS_NAME = "status-drill.json"
KINDS = ("users", "collections", "points")


@dataclass
class DrillResult:
    archive: Path
    archive_created: str
    seconds: float
    restored: dict[str, int]
    live: dict[str, int] = field(default_factory=dict)
    points_verified: bool = False  # shards loaded and counted (embedded store)


def newest_archive(settings: Settings) -> Path:
    directory = settings.backup_dir
    found = retention.list_archives(directory) if directory.is_dir() else []
    if not found:
        raise BackupError(f"no archive in {directory} to drill")
    return found[0]


def _count_database(path: Path) -> dict[str, int]:
    """users and collections in a database file, opened read-only."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return {
                "users": conn.execute("SELECT COUNT(*) FROM users").fetchone()[0],
                "collections": conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0],
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ArchiveRefused(f"restored database does not open: {exc}") from exc


def _live_counts(settings: Settings) -> dict[str, int]:
    """What the site holds now; a part that cannot be read is left out, never guessed."""
    live: dict[str, int] = {}
    if settings.database_path.is_file():
        db = settings.database_path
        with contextlib.suppress(ArchiveRefused):  # unreadable now: left out
            live.update(_count_database(db))
        # A read-only open of a WAL database may leave -wal/-shm behind: keep them webui's.
        match_owner([db.with_name(db.name + s) for s in ("-wal", "-shm")], db)
    try:
        with vecpipe_client(settings, timeout=30.0) as client:
            response = client.get("/collections")
            response.raise_for_status()
            live["points"] = sum(int(c.get("points_count", 0)) for c in response.json())
    except (httpx.HTTPError, ValueError, TypeError):
        pass
    return live


def run_drill(settings: Settings, archive: Path | None = None) -> DrillResult:
    started = time.monotonic()
    with exclusive_lock(settings.backup_dir):
        archive = archive or newest_archive(settings)
        scratch = Path(tempfile.mkdtemp(prefix=".drill-", dir=settings.backup_dir))
        try:
            manifest = open_archive(archive, settings, scratch / "archive")
            db = scratch / "archive" / DB_ENTRY
            check_database(db)
            restored = _count_database(db)
            restored["points"] = sum(manifest.collections.values())
            verified = False
            if manifest.versions.vector_store == "embedded":
                # Loads every shard from the scratch copy and compares its point count with the
                # manifest; the live vectors directory is never opened.
                EmbeddedStore(settings, use_vecpipe=False).stage(
                    manifest.collections, scratch / "archive", scratch / "shards"
                )
                # Without the engine (a webui-only host) only the checksums were verified.
                verified = engine_installed()
        except OSError as exc:
            raise BackupError(f"restore drill failed: {exc}") from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return DrillResult(
        archive=archive,
        archive_created=manifest.created,
        seconds=time.monotonic() - started,
        restored=restored,
        live=_live_counts(settings),
        points_verified=verified,
    )


def write_drill_status(settings: Settings, result: DrillResult | None, error: str) -> None:
    """status-drill.json in the backup dir, and Prometheus text when configured."""
    kept = {"last_archive": str(result.archive) if result else None}
    run = {
        "last_duration_seconds": round(result.seconds, 3) if result else None,
        "restored": result.restored if result else {},
        "live": result.live if result else {},
    }
    status = record_run(settings.backup_dir / STATUS_NAME, bool(result), error, kept, run)
    now = status["last_run"]
    metrics = settings.restore_drill_metrics_file
    if metrics is None:
        return
    lines = [
        "# HELP semantik_restore_drill_success 1 if the last restore drill succeeded.",
        "# TYPE semantik_restore_drill_success gauge",
        f"semantik_restore_drill_success {1 if result else 0}",
        "# HELP semantik_restore_drill_last_run_timestamp_seconds Last restore drill run.",
        "# TYPE semantik_restore_drill_last_run_timestamp_seconds gauge",
        f"semantik_restore_drill_last_run_timestamp_seconds {now:.0f}",
        "# HELP semantik_restore_drill_last_success_timestamp_seconds Last successful drill.",
        "# TYPE semantik_restore_drill_last_success_timestamp_seconds gauge",
        f"semantik_restore_drill_last_success_timestamp_seconds {status['last_success'] or 0:.0f}",
    ]
    if result:
        lines += [
            "# HELP semantik_restore_drill_duration_seconds How long the last drill took.",
            "# TYPE semantik_restore_drill_duration_seconds gauge",
            f"semantik_restore_drill_duration_seconds {result.seconds:.3f}",
            "# HELP semantik_restore_drill_count Users, collections and points in the restored "
            "copy (source=archive) and on the live site (source=live).",
            "# TYPE semantik_restore_drill_count gauge",
        ]
        for source, counts in (("archive", result.restored), ("live", result.live)):
            lines += [
                f'semantik_restore_drill_count{{kind="{k}",source="{source}"}} {counts[k]}'
                for k in KINDS
                if k in counts
            ]
    write_textfile(metrics, lines)
