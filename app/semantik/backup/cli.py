"""The `semantik backup` and `semantik restore` subcommands.

Each run prints exactly one line (stdout on success, stderr on failure) and exits with the codes in
semantik.backup.errors, so cron, the journal and playbooks can tell what happened.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from semantik.backup.errors import BackupError
from semantik.backup.units import DEFAULT_UNITS
from semantik.shared.settings import Settings, get_settings


def add_backup_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommands; each sets `func(args) -> exit code`."""
    backup = subparsers.add_parser(
        "backup",
        help="write a verified archive of the database, vectors and config",
        description="Write a checksummed archive of the database, the vector store and the "
        "config, then apply retention. Exit codes: 0 ok, 1 failed, 5 another run holds the lock.",
    )
    backup.add_argument(
        "--to", type=Path, default=None, help="archive directory (default SEMANTIK_BACKUP_DIR)"
    )
    backup.set_defaults(func=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="verify an archive, then restore database, vectors and config",
        description="Verify ARCHIVE (checksums, versions, database integrity, shards) before "
        "touching anything; then stop the services, restore, start them and check health and "
        "point counts. Exit codes: 0 ok, 1 failed, 3 archive refused (host untouched), "
        "4 restored but unhealthy, 5 locked.",
    )
    restore.add_argument("archive", type=Path, help="the archive file (.tar.gz or .tar.gz.enc)")
    restore.add_argument(
        "--service-control",
        choices=["auto", "systemd", "none"],
        default="auto",
        help="auto: use systemctl when the semantik units exist; none: you stop/start services",
    )
    restore.add_argument(
        "--unit",
        action="append",
        dest="units",
        help=f"systemd unit to stop and start (repeatable; default {' '.join(DEFAULT_UNITS)})",
    )
    restore.add_argument("--no-config", action="store_true", help="leave the config dir alone")
    restore.add_argument(
        "--keep-previous",
        action="store_true",
        help="keep the replaced data in data_dir/.pre-restore-<time>/ even when healthy",
    )
    restore.add_argument(
        "--health-timeout", type=float, default=300.0, help="seconds to wait for readiness"
    )
    restore.set_defaults(func=run_restore)

    drill = subparsers.add_parser(
        "restore-drill",
        help="restore the newest archive into a scratch dir and check it (live data untouched)",
        description="Unpack the newest archive (or ARCHIVE) into a scratch directory in the backup "
        "directory, verify its checksums, open the database, load the vector shards, count users, "
        "collections and points next to the live counts, record the result (status-drill.json, "
        "SEMANTIK_RESTORE_DRILL_METRICS_FILE) and remove the scratch copy. Live data is never "
        "written. Exit codes: 0 ok, 1 failed, 3 archive refused, 5 locked.",
    )
    drill.add_argument(
        "archive", type=Path, nargs="?", default=None, help="archive (default: the newest)"
    )
    drill.set_defaults(func=run_restore_drill)


def _settings() -> Settings:
    return get_settings()


def run_backup(args: argparse.Namespace) -> int:
    from semantik.backup.archive import create_backup, write_status

    settings = _settings()
    dest = args.to or settings.backup_dir
    try:
        result = create_backup(settings, args.to)
    except BackupError as exc:
        _status(settings, dest, None, str(exc))
        print(f"semantik-backup: failed (exit {exc.exit_code}): {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        _status(settings, dest, None, str(exc))
        print(f"semantik-backup: failed (exit 1): {exc}", file=sys.stderr)
        return 1
    write_status(settings, dest, result, "")
    print(
        f"semantik-backup: ok archive={result.archive} size={result.size} "
        f"collections={len(result.collections)} points={sum(result.collections.values())} "
        f"seconds={result.seconds:.2f} pruned={len(result.pruned)}"
    )
    return 0


def _status(settings: Settings, dest: Path, result: object, error: str) -> None:
    from semantik.backup.archive import write_status

    with contextlib.suppress(OSError):  # the failure line is printed regardless
        write_status(settings, dest, None, error)


def run_restore(args: argparse.Namespace) -> int:
    from semantik.backup.restore import restore

    settings = _settings()
    try:
        result = restore(
            settings,
            args.archive,
            service_mode=args.service_control,
            units=tuple(args.units or DEFAULT_UNITS),
            include_config=not args.no_config,
            health_timeout=args.health_timeout,
            keep_previous=args.keep_previous,
        )
    except BackupError as exc:
        print(f"semantik-restore: failed (exit {exc.exit_code}): {exc}", file=sys.stderr)
        return exc.exit_code
    kept = f" previous={result.kept_previous}" if result.kept_previous else ""
    print(
        f"semantik-restore: ok archive={args.archive} created={result.manifest.created} "
        f"collections={len(result.manifest.collections)} "
        f"points={sum(result.manifest.collections.values())} services={result.service_mode} "
        f"seconds={result.seconds:.2f}{kept}"
    )
    return 0


def run_restore_drill(args: argparse.Namespace) -> int:
    from semantik.backup.drill import run_drill, write_drill_status

    settings = _settings()
    try:
        result = run_drill(settings, args.archive)
    except BackupError as exc:
        with contextlib.suppress(OSError):
            write_drill_status(settings, None, str(exc))
        print(f"semantik-restore-drill: failed (exit {exc.exit_code}): {exc}", file=sys.stderr)
        return exc.exit_code
    write_drill_status(settings, result, "")
    counts = " ".join(
        f"{k}={result.restored[k]}/{result.live.get(k, '?')}"
        for k in ("users", "collections", "points")
    )
    print(
        f"semantik-restore-drill: ok archive={result.archive} created={result.archive_created} "
        f"restored/live {counts} shards_loaded={str(result.points_verified).lower()} "
        f"seconds={result.seconds:.2f}"
    )
    return 0
