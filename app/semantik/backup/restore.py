"""`semantik restore ARCHIVE`: verify everything first, then stop writers, swap the database,
vectors and config in, start, and prove health and point counts.

Until verification has passed nothing outside a private staging directory is written, so a corrupt
or mismatched archive leaves the host exactly as it was. The replaced data is kept in
data_dir/.pre-restore-<time>/ until the services are healthy again.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from semantik import __version__
from semantik.backup.archive import DB_ENTRY, open_archive
from semantik.backup.database import check_database
from semantik.backup.errors import BackupError
from semantik.backup.manifest import Manifest, Versions, check_versions
from semantik.backup.ownership import match_owner
from semantik.backup.units import Services, exclusive_lock
from semantik.backup.vectors import open_store, served_model, vecpipe_running
from semantik.shared.settings import Settings

_DB_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass
class RestoreResult:
    manifest: Manifest
    seconds: float
    service_mode: str
    kept_previous: Path | None


def _lookup(user: str, group: str) -> tuple[int, int]:
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        uid = int(user) if user.isdigit() else 0
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = int(group) if group.isdigit() else 0
    return uid, gid


def _restore_config(settings: Settings, manifest: Manifest, staging: Path) -> None:
    for rel, meta in sorted(manifest.files.items()):
        if not rel.startswith("config/"):
            continue
        target = settings.config_dir / rel.removeprefix("config/")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(staging / rel, tmp)
        os.chmod(tmp, int(meta.get("mode", "0600"), 8))
        if os.geteuid() == 0:
            os.chown(tmp, *_lookup(meta.get("owner", "root"), meta.get("group", "root")))
        tmp.rename(target)


def _install_database(settings: Settings, staged: Path, aside: Path) -> None:
    db = settings.database_path
    for suffix in ("", *_DB_SIDECARS):
        current = db.with_name(db.name + suffix)
        if current.exists():
            current.rename(aside / current.name)
    staged.rename(db)


def _rollback(settings: Settings, aside: Path) -> None:
    """Put back what was moved aside (used when installing fails half-way)."""
    db = settings.database_path
    vectors = settings.vectors_dir
    for moved in aside.iterdir():
        target = vectors if moved.name == vectors.name else db.with_name(moved.name)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        moved.rename(target)


def restore(
    settings: Settings,
    archive: Path,
    *,
    service_mode: str = "auto",
    units: tuple[str, ...],
    include_config: bool = True,
    health_timeout: float = 300.0,
    keep_previous: bool = False,
) -> RestoreResult:
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    data_dir = settings.data_dir
    with exclusive_lock(settings.backup_dir):
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = data_dir / f".restore-{stamp}"
        stack = ExitStack()
        try:
            # --- 1. verify: nothing outside the staging directory is touched ---------------
            manifest = open_archive(archive, settings, staging / "archive")
            store = stack.enter_context(
                closing(open_store(settings, vecpipe_up=vecpipe_running(settings)))
            )
            check_versions(
                manifest.versions,
                Versions(
                    app=__version__,
                    vector_store=store.kind,
                    qdrant=store.engine_version(),
                    model=served_model(settings),
                ),
            )
            check_database(staging / "archive" / DB_ENTRY)
            shards = store.stage(manifest.collections, staging / "archive", staging / "shards")
            services = Services(settings, service_mode, units)  # type: ignore[arg-type]

            # --- 2. replace: writers stopped, old data kept aside until healthy -------------
            services.stop()
            aside = data_dir / f".pre-restore-{stamp}"
            aside.mkdir(mode=0o700)
            try:
                _install_database(settings, staging / "archive" / DB_ENTRY, aside)
                store.install(shards, aside)
                match_owner([settings.database_path, settings.vectors_dir], data_dir)
                if include_config:
                    _restore_config(settings, manifest, staging / "archive")
            except BaseException:
                _rollback(settings, aside)
                aside.rmdir()
                services.start()
                raise

            # --- 3. start and prove it ------------------------------------------------------
            services.start()
            services.wait_healthy(manifest.collections, health_timeout)
            kept = aside if keep_previous or services.mode != "systemd" else None
            if kept is None:
                shutil.rmtree(aside)
        except OSError as exc:
            raise BackupError(f"restore failed: {exc}") from exc
        finally:
            stack.close()
            shutil.rmtree(staging, ignore_errors=True)
            Path(str(staging) + ".tar.gz").unlink(missing_ok=True)
    return RestoreResult(manifest, time.monotonic() - started, services.mode, kept)
