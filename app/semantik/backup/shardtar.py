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


def safe_extractall(tar: tarfile.TarFile, dst: Path) -> None:
    """Only plain files and directories, all inside dst. tarfile's 'data' filter does this from
    Python 3.11.4; Debian 12 ships 3.11.2, so check the members here first."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dst, filter="data")
        return
    root = dst.resolve()
    for member in tar.getmembers():
        target = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()):
            raise ArchiveRefused(f"archive member {member.name!r} is neither file nor directory")
        if member.name.startswith("/") or not target.is_relative_to(root):
            raise ArchiveRefused(f"archive member {member.name!r} points outside the archive")
    tar.extractall(dst)  # noqa: S202 - every member checked above


def extract_tar(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(src, "r:*") as tar:
            safe_extractall(tar, dst)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"{src.name} is not a readable tar archive: {exc}") from exc
