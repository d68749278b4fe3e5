"""Retention: the newest archive of each of the last N days and M ISO weeks is kept."""

from datetime import UTC, datetime, timedelta

import pytest
from semantik.backup.retention import archive_name, archive_time, list_archives, prune, select_keep


def _names(start: datetime, days: int, per_day: int = 1) -> list[str]:
    return [
        archive_name(start - timedelta(days=d, hours=h), encrypted=False)
        for d in range(days)
        for h in range(per_day)
    ]


def test_name_round_trip():
    when = datetime(2026, 11, 26, 3, 15, 0, tzinfo=UTC)
    assert archive_name(when, False) == "semantik-backup-20261126T031500Z.tar.gz"
    assert archive_time(archive_name(when, True)) == when
    assert archive_time("semantik-backup-20261126T031500Z.tar.gz.partial") is None
    assert archive_time("notes.txt") is None


def test_keeps_newest_of_each_day():
    start = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # a Thursday
    names = _names(start, days=10, per_day=3)
    keep = select_keep(names, keep_daily=7, keep_weekly=0)
    assert len(keep) == 7
    # the newest of each of the last 7 days: hour offset 0 of days 0..6
    assert keep == {archive_name(start - timedelta(days=d), False) for d in range(7)}


def test_weekly_reaches_further_back_than_daily():
    start = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    names = _names(start, days=40)
    keep = select_keep(names, keep_daily=3, keep_weekly=4)
    kept_times = sorted(archive_time(n) for n in keep)
    weeks = {t.isocalendar()[:2] for t in kept_times}
    assert len(weeks) == 4
    # daily: 26, 25, 24 Nov; weekly: newest of this week (26th, shared) and three earlier weeks,
    # each represented by its Sunday (the newest day of an ISO week)
    assert len(keep) == 3 + 3
    older = [t for t in kept_times if t < start - timedelta(days=2)]
    assert all(t.isoweekday() == 7 for t in older)


def test_newest_always_kept_and_foreign_names_ignored():
    names = ["semantik-backup-20260101T000000Z.tar.gz", "other.tar.gz", "status.json"]
    assert select_keep(names, 1, 0) == {"semantik-backup-20260101T000000Z.tar.gz"}


def test_bad_limits_refused():
    with pytest.raises(ValueError):
        select_keep([], keep_daily=0, keep_weekly=1)


def test_prune_deletes_only_unkept_archives(tmp_path):
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    for name in _names(start, days=5, per_day=2):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "status.json").write_text("{}")
    (tmp_path / ".semantik-backup-20261126T130000Z.tar.gz.partial").write_bytes(b"x")
    deleted = prune(tmp_path, keep_daily=2, keep_weekly=0)
    assert len(deleted) == 8
    left = [p.name for p in list_archives(tmp_path)]
    assert left == [archive_name(start, False), archive_name(start - timedelta(days=1), False)]
    assert (tmp_path / "status.json").exists()
