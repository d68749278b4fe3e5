"""Confinement to the documents root: every path a user gives (a collection's source, a document to
download) is resolved, symlinks included, and refused unless it stays inside the root."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from semantik.webui.errors import InvalidInput, NotFound


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_source(documents_root: Path, source: str) -> tuple[str, Path]:
    """Normalise a collection's source directory; returns (relative posix path, resolved path).

    Accepts a path relative to the root, or an absolute path inside it. Refuses ``..``, absolute
    paths elsewhere, and symlinks whose target leaves the root.
    """
    root = documents_root.resolve()
    if not source or "\x00" in source:
        raise InvalidInput("source must be a directory under the documents root")
    candidate = Path(source)
    if candidate.is_absolute():
        if not _inside(Path(os.path.normpath(candidate)), root):
            raise InvalidInput(f"source {source!r} is outside the documents root {root}")
        relative = PurePosixPath(Path(os.path.normpath(candidate)).relative_to(root))
    else:
        relative = PurePosixPath(source)
    if ".." in relative.parts:
        raise InvalidInput("source must not contain '..'")
    resolved = (root / relative).resolve()
    if not _inside(resolved, root):
        raise InvalidInput(
            f"source {source!r} resolves outside the documents root (a symlink pointing out?)"
        )
    if not resolved.is_dir():
        raise InvalidInput(f"source {source!r} is not a directory under the documents root")
    rel = resolved.relative_to(root).as_posix()
    return ("" if rel == "." else rel), resolved


def resolve_document(documents_root: Path, source: str, relative_path: str) -> Path:
    """The file ``relative_path`` of a collection whose source is ``source`` (both relative)."""
    root = documents_root.resolve()
    rel = PurePosixPath(relative_path)
    if not relative_path or rel.is_absolute() or ".." in rel.parts or "\x00" in relative_path:
        raise InvalidInput("path must be relative to the collection's source, without '..'")
    base = (root / source).resolve()
    resolved = (base / rel).resolve()
    if not (_inside(resolved, root) and _inside(resolved, base)):
        raise InvalidInput("path resolves outside the collection's source directory")
    if not resolved.is_file():
        raise NotFound(f"document {relative_path!r} not found")
    return resolved


def list_directories(documents_root: Path, under: str = "", max_entries: int = 1000) -> list[str]:
    """Directories directly below ``under`` (relative to the root), for a folder chooser."""
    rel, base = resolve_source(documents_root, under or ".")
    root = documents_root.resolve()
    entries: list[str] = []
    with os.scandir(base) as it:
        for entry in sorted(it, key=lambda e: e.name):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            target = Path(entry.path).resolve()
            if _inside(target, root):
                entries.append(PurePosixPath(rel, entry.name).as_posix() if rel else entry.name)
            if len(entries) >= max_entries:
                break
    return entries
