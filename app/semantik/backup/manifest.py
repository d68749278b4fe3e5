"""The manifest of an archive: the sha256 of every file in it and the versions that wrote it.

Verification is the gate of a restore: every listed file present with its size and digest, no
unlisted file, a known format, and versions this installation can read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from semantik.backup.errors import ArchiveRefused

FORMAT = "semantik-backup/1"
MANIFEST_NAME = "manifest.json"
_CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Versions:
    app: str
    vector_store: str  # "embedded" | "qdrant"
    qdrant: str  # qdrant-edge-py version (embedded) or the Qdrant server's version
    model: str


@dataclass
class Manifest:
    created: str
    host: str
    versions: Versions
    collections: dict[str, int] = field(default_factory=dict)  # name -> points
    files: dict[str, dict] = field(default_factory=dict)  # archive path -> {size, sha256, ...}
    format: str = FORMAT

    def add_file(self, root: Path, rel: str, **extra: object) -> None:
        path = root / rel
        self.files[rel] = {"size": path.stat().st_size, "sha256": sha256_file(path), **extra}

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "created": self.created,
                "host": self.host,
                "versions": self.versions.__dict__,
                "collections": self.collections,
                "files": self.files,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ArchiveRefused(
                    f"unknown archive format {data.get('format')!r} (this version reads {FORMAT})"
                )
            return cls(
                format=data["format"],
                created=data["created"],
                host=data["host"],
                versions=Versions(**data["versions"]),
                collections={str(k): int(v) for k, v in data["collections"].items()},
                files=dict(data["files"]),
            )
        except ArchiveRefused:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveRefused(f"manifest is unreadable: {exc}") from exc


def verify_files(manifest: Manifest, root: Path) -> None:
    """Every file listed is present with its size and sha256, and nothing else is there."""
    present = {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    }
    present.discard(MANIFEST_NAME)
    missing = sorted(set(manifest.files) - present)
    if missing:
        raise ArchiveRefused(
            f"archive is incomplete or corrupt: {len(missing)} file(s) missing, first: {missing[0]}"
        )
    extra = sorted(present - set(manifest.files))
    if extra:
        raise ArchiveRefused(f"archive holds {len(extra)} file(s) not in its manifest: {extra[0]}")
    for rel, meta in sorted(manifest.files.items()):
        path = root / rel
        if path.is_symlink() or path.stat().st_size != meta["size"]:
            raise ArchiveRefused(f"checksum mismatch: {rel} (size differs)")
        if sha256_file(path) != meta["sha256"]:
            raise ArchiveRefused(f"checksum mismatch: {rel}")


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", version.split("+", 1)[0])[:3]
    return tuple(int(p) for p in parts) or (0,)


def check_versions(archived: Versions, current: Versions) -> None:
    """Refuse what this installation cannot read back faithfully."""
    if archived.vector_store != current.vector_store:
        raise ArchiveRefused(
            f"version mismatch: archive holds a '{archived.vector_store}' vector store, "
            f"this host is configured for '{current.vector_store}'"
        )
    if _version_tuple(archived.app) > _version_tuple(current.app):
        raise ArchiveRefused(
            f"version mismatch: archive written by semantik {archived.app}, newer than the "
            f"installed {current.app} (its database schema may be unknown here)"
        )
    a, c = _version_tuple(archived.qdrant), _version_tuple(current.qdrant)
    # Embedded shards are read only by the same engine minor version (qdrant-edge is pinned);
    # a Qdrant server recovers snapshots of its own or older versions within a major.
    same = a[:2] == c[:2] if archived.vector_store == "embedded" else (a[:1] == c[:1] and a <= c)
    if not same:
        raise ArchiveRefused(
            f"version mismatch: archive's Qdrant engine is {archived.qdrant}, "
            f"this host runs {current.qdrant}"
        )
    if archived.model != current.model:
        raise ArchiveRefused(
            f"version mismatch: archive's collections use model '{archived.model}', "
            f"this host serves '{current.model}'"
        )
