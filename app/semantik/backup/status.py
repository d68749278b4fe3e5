"""Status files of scheduled runs (backup, restore drill): a JSON record in the backup dir that
check.yml and operators read, and Prometheus text for the node exporter's textfile collector."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def record_run(
    path: Path, ok: bool, error: str, kept: dict[str, Any], run: dict[str, Any]
) -> dict[str, Any]:
    """Write this run's outcome to ``path`` and return it. ``kept``: fields of a successful run
    that a failed run leaves at the last success's values (the record always says what last
    worked); ``run``: this run's own fields, written either way."""
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {}
    now = time.time()
    status = {
        "last_run": now,
        "last_result": "ok" if ok else "failed",
        "last_error": error,
        "last_success": now if ok else previous.get("last_success"),
    }
    status.update(kept if ok else {key: previous.get(key) for key in kept})
    status.update(run)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=2))
    tmp.rename(path)
    return status


def write_textfile(path: Path, lines: list[str]) -> None:
    """Prometheus text, replaced atomically (the exporter never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # before the node exporter is installed
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.chmod(0o644)  # the node exporter reads it as its own user
    tmp.rename(path)
