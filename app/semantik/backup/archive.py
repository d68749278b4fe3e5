"""Writing an archive (`semantik backup`) and opening one for a restore.

An archive is a tar.gz of: manifest.json, database/webui.db, vectors/<collection>.tar|.snapshot and
config/<files of the config dir>; optionally encrypted as a whole (crypto.py). It is assembled in a
staging directory, written under a temporary name and renamed, so an archive under its final name is
always complete.
"""

from __future__ import annotations

import grp
import gzip
import os
import pwd
import shutil
import socket
import tarfile
import time
import zlib
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from semantik import __version__
from semantik.backup import crypto, retention
from semantik.backup.database import backup_database
from semantik.backup.errors import ArchiveRefused
from semantik.backup.manifest import MANIFEST_NAME, Manifest, Versions, verify_files
from semantik.backup.shardtar import safe_extractall
from semantik.backup.status import record_run, write_textfile
from semantik.backup.units import exclusive_lock
from semantik.backup.vectors import open_store, served_model, vecpipe_running
from semantik.shared.settings import Settings

DB_ENTRY = "database/webui.db"


@dataclass
class BackupResult:
    archive: Path
    size: int
    seconds: float
    collections: dict[str, int]
    pruned: list[Path] = field(default_factory=list)


def _owner(stat: os.stat_result) -> tuple[str, str]:
    try:
        user = pwd.getpwuid(stat.st_uid).pw_name
    except KeyError:
        user = str(stat.st_uid)
    try:
        group = grp.getgrgid(stat.st_gid).gr_name
    except KeyError:
        group = str(stat.st_gid)
    return user, group


def _copy_config(settings: Settings, staging: Path, manifest: Manifest) -> None:
    root = settings.config_dir
    if not root.is_dir():
        return
    skip = settings.backup_encryption_key_file
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        if skip is not None and path.resolve() == skip.resolve():
            continue  # the key that encrypts the archive does not travel inside it
        rel = "config/" + path.relative_to(root).as_posix()
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        stat = path.stat()
        user, group = _owner(stat)
        mode = f"{stat.st_mode & 0o7777:04o}"
        manifest.add_file(staging, rel, mode=mode, owner=user, group=group)


def _write_tar(staging: Path, manifest: Manifest, dest: Path) -> None:
    # Level 1: vectors hardly compress and a backup should be quick; SQLite pages still shrink.
    with tarfile.open(dest, "w:gz", compresslevel=1) as tar:
        tar.add(staging / MANIFEST_NAME, arcname=MANIFEST_NAME)
        for rel in sorted(manifest.files):
            tar.add(staging / rel, arcname=rel)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_backup(settings: Settings, to: Path | None = None) -> BackupResult:
    started = time.monotonic()
    dest = to or settings.backup_dir
    now = datetime.now(UTC)
    key = (
        crypto.read_key(settings.backup_encryption_key_file)
        if settings.backup_encryption_key_file
        else None
    )
    name = retention.archive_name(now, encrypted=key is not None)
    with exclusive_lock(dest):
        os.chmod(dest, 0o700)
        staging = dest / f".staging-{os.getpid()}"
        partial = dest / f".{name}.partial"
        stack = ExitStack()
        try:
            # Leftovers of a run that was killed (we hold the lock: nobody else writes here).
            for stale in [*dest.glob(".staging-*"), *dest.glob(".semantik-backup-*.partial")]:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            (staging / "database").mkdir(mode=0o700, parents=True)
            (staging / "vectors").mkdir(mode=0o700)
            store = stack.enter_context(
                closing(open_store(settings, vecpipe_up=vecpipe_running(settings)))
            )
            manifest = Manifest(
                created=now.isoformat(),
                host=socket.gethostname(),
                versions=Versions(
                    app=__version__,
                    vector_store=store.kind,
                    qdrant=store.engine_version(),
                    model=served_model(settings),
                ),
            )
            backup_database(settings.database_path, staging / DB_ENTRY)
            manifest.add_file(staging, DB_ENTRY)
            for collection in store.collections():
                rel = f"vectors/{collection}{store.suffix}"
                manifest.collections[collection] = store.dump(collection, staging / rel)
                manifest.add_file(staging, rel)
            _copy_config(settings, staging, manifest)
            (staging / MANIFEST_NAME).write_text(manifest.to_json())
            if key is None:
                _write_tar(staging, manifest, partial)
            else:
                plain = staging / "archive.tar.gz"
                _write_tar(staging, manifest, plain)
                with partial.open("wb") as fh:
                    crypto.encrypt_file(plain, fh, key)
            os.chmod(partial, 0o600)
            _fsync(partial)
            final = dest / name
            partial.rename(final)
            _fsync(dest)
        finally:
            stack.close()
            shutil.rmtree(staging, ignore_errors=True)
            partial.unlink(missing_ok=True)
        pruned = retention.prune(dest, settings.backup_keep_daily, settings.backup_keep_weekly)
    return BackupResult(
        archive=final,
        size=final.stat().st_size,
        seconds=time.monotonic() - started,
        collections=manifest.collections,
        pruned=pruned,
    )


def open_archive(archive: Path, settings: Settings, staging: Path) -> Manifest:
    """Unpack archive into staging and verify it completely; raise ArchiveRefused otherwise."""
    if not archive.is_file():
        raise ArchiveRefused(f"no archive at {archive}")
    staging.mkdir(mode=0o700, parents=True)
    source = archive
    if crypto.is_encrypted(archive):
        if settings.backup_encryption_key_file is None:
            raise ArchiveRefused(
                f"{archive.name} is encrypted and no key is configured "
                "(SEMANTIK_BACKUP_ENCRYPTION_KEY_FILE)"
            )
        source = staging.parent / (staging.name + ".tar.gz")
        try:
            key = crypto.read_key(settings.backup_encryption_key_file)
            with source.open("wb") as fh:
                crypto.decrypt_file(archive, fh, key)
        except BaseException:
            source.unlink(missing_ok=True)
            raise
    try:
        # A whole pass first: gzip's CRC and length are only checked at the end of the stream,
        # and tarfile takes a damaged header after the first member for the end of the archive.
        with gzip.open(source, "rb") as stream:
            while stream.read(1024 * 1024):
                pass
        with tarfile.open(source, "r:gz") as tar:
            safe_extractall(tar, staging)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveRefused(f"{archive.name} is corrupt: {exc}") from exc
    finally:
        if source != archive:
            source.unlink(missing_ok=True)
    manifest_path = staging / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ArchiveRefused(f"{archive.name} has no {MANIFEST_NAME}: not a semantik backup")
    manifest = Manifest.from_json(manifest_path.read_text())
    verify_files(manifest, staging)
    return manifest


def write_status(settings: Settings, dest: Path, result: BackupResult | None, error: str) -> None:
    """status.json in the backup dir (and Prometheus text if configured) for alerting."""
    kept = {
        "last_archive": str(result.archive) if result else None,
        "last_size_bytes": result.size if result else None,
    }
    run = {"last_duration_seconds": round(result.seconds, 3) if result else None}
    status = record_run(dest / "status.json", bool(result), error, kept, run)
    if settings.backup_metrics_file is not None:
        write_textfile(
            settings.backup_metrics_file,
            [
                "# HELP semantik_backup_last_success_timestamp_seconds Last successful backup.",
                "# TYPE semantik_backup_last_success_timestamp_seconds gauge",
                f"semantik_backup_last_success_timestamp_seconds {status['last_success'] or 0}",
                "# HELP semantik_backup_last_run_success 1 if the last backup run succeeded.",
                "# TYPE semantik_backup_last_run_success gauge",
                f"semantik_backup_last_run_success {1 if result else 0}",
                "# HELP semantik_backup_last_size_bytes Size of the last successful archive.",
                "# TYPE semantik_backup_last_size_bytes gauge",
                f"semantik_backup_last_size_bytes {status['last_size_bytes'] or 0}",
            ],
        )
