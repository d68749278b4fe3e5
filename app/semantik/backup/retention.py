"""Which archives to keep: the newest of each of the last N days and of the last M ISO weeks.

Archive names carry their UTC time (semantik-backup-YYYYmmddTHHMMSSZ.tar.gz[.enc]); the name, not
the file's mtime, decides, so a copied or restored backup directory keeps its history.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

PREFIX = "semantik-backup-"
_NAME = re.compile(r"^semantik-backup-(\d{8}T\d{6}Z)\.tar\.gz(\.enc)?$")
_STAMP = "%Y%m%dT%H%M%SZ"


def archive_name(when: datetime, encrypted: bool) -> str:
    return f"{PREFIX}{when.astimezone(UTC).strftime(_STAMP)}.tar.gz" + (".enc" if encrypted else "")


def archive_time(name: str) -> datetime | None:
    match = _NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)


def list_archives(directory: Path) -> list[Path]:
    """Finished archives in directory, newest first (temporary and foreign files are ignored)."""
    found = [p for p in directory.iterdir() if p.is_file() and archive_time(p.name)]
    return sorted(found, key=lambda p: archive_time(p.name), reverse=True)


def select_keep(names: list[str], keep_daily: int, keep_weekly: int) -> set[str]:
    """Names to keep. The newest archive is always kept."""
    if keep_daily < 1 or keep_weekly < 0:
        raise ValueError("keep_daily must be >= 1 and keep_weekly >= 0")
    dated = sorted(((t, n) for n in names if (t := archive_time(n)) is not None), reverse=True)
    keep: set[str] = set()
    days: set[object] = set()
    weeks: set[object] = set()
    for when, name in dated:
        day = when.date()
        week = when.isocalendar()[:2]
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(name)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(name)
    return keep


def prune(directory: Path, keep_daily: int, keep_weekly: int) -> list[Path]:
    """Delete the archives retention does not keep; return what was deleted."""
    archives = list_archives(directory)
    keep = select_keep([p.name for p in archives], keep_daily, keep_weekly)
    deleted = []
    for path in archives:
        if path.name not in keep:
            path.unlink()
            deleted.append(path)
    return deleted
