"""A tar of one embedded shard directory, and its safe extraction. Shared by vecpipe's snapshot
endpoint (which writes it while writes are paused) and the CLI (which reads it back)."""

from __future__ import annotations

import tarfile
from pathlib import Path

from semantik.backup.errors import ArchiveRefused


def tar_directory(src: Path, dst: Path) -> None:
    with tarfile.open(dst, "w") as tar:
        for path in sorted(src.rglob("*")):
            tar.add(path, arcname=path.relative_to(src).as_posix(), recursive=False)


def extract_tar(src: Path, dst: Path) -> None:
    """Extract with tarfile's 'data' filter: no absolute paths, no escaping links, no devices."""
    dst.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(src, "r:*") as tar:
            tar.extractall(dst, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"{src.name} is not a readable tar archive: {exc}") from exc
