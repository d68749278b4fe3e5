"""The vector store's part of a backup: one file per collection.

- embedded, vecpipe running: vecpipe's POST /admin/collections/{name}/snapshot flushes the shard,
  pauses writes to it, and streams a tar of its directory (the shard's WAL lock allows no second
  opener, so only vecpipe can read it consistently).
- embedded, vecpipe stopped: the CLI opens each shard itself, flushes and tars it.
- qdrant (server): Qdrant's snapshot API: create, download (sha256 checked against the server's
  checksum), delete the server-side copy; restore uploads it with priority=snapshot.
  No Qdrant server runs on the machines this was written on: that path is verified elsewhere only.
"""

from __future__ import annotations

import hashlib
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from semantik.backup.errors import ArchiveRefused, BackupError
from semantik.backup.shardtar import extract_tar, tar_directory
from semantik.shared.settings import Settings

SNAPSHOT_HEADER_POINTS = "X-Points-Count"


def vecpipe_client(settings: Settings, timeout: float = 600.0) -> httpx.Client:
    headers = {}
    if settings.internal_api_key is not None:
        headers["X-API-Key"] = settings.internal_api_key.get_secret_value()
    return httpx.Client(base_url=settings.vecpipe_url, headers=headers, timeout=timeout)


def vecpipe_running(settings: Settings) -> bool:
    try:
        with vecpipe_client(settings, timeout=5.0) as client:
            return client.get("/livez").status_code == 200
    except httpx.TransportError:
        return False


def served_model(settings: Settings) -> str:
    """The model vecpipe serves when it answers, else the configured one."""
    try:
        with vecpipe_client(settings, timeout=5.0) as client:
            response = client.get("/models")
            response.raise_for_status()
            for model in response.json()["models"]:
                if model.get("loaded"):
                    return model["name"]
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    return settings.model_name


def _edge_version() -> str:
    try:
        return version("qdrant-edge-py")
    except PackageNotFoundError:
        return "unknown"


class EmbeddedStore:
    kind = "embedded"
    suffix = ".tar"

    def __init__(self, settings: Settings, *, use_vecpipe: bool) -> None:
        self.settings = settings
        self.use_vecpipe = use_vecpipe

    def engine_version(self) -> str:
        return _edge_version()

    def collections(self) -> list[str]:
        if self.use_vecpipe:
            with vecpipe_client(self.settings) as client:
                response = client.get("/collections")
                response.raise_for_status()
                return sorted(c["name"] for c in response.json())
        root = self.settings.vectors_dir
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def dump(self, name: str, dest: Path) -> int:
        """Write the collection's shard tar to dest; return its point count at that moment."""
        if self.use_vecpipe:
            with (
                vecpipe_client(self.settings) as client,
                client.stream("POST", f"/admin/collections/{name}/snapshot") as response,
            ):
                if response.status_code != 200:
                    response.read()
                    raise BackupError(
                        f"vecpipe refused the snapshot of {name}: "
                        f"{response.status_code} {response.text[:200]}"
                    )
                with dest.open("wb") as fh:
                    for block in response.iter_bytes(1024 * 1024):
                        fh.write(block)
                return int(response.headers[SNAPSHOT_HEADER_POINTS])
        from qdrant_edge import CountRequest, EdgeShard

        path = self.settings.vectors_dir / name
        try:
            shard = EdgeShard.load(str(path))
        except Exception as exc:  # qdrant-edge raises plain exceptions (e.g. the WAL lock)
            raise BackupError(
                f"cannot open shard {path} (is vecpipe running but unreachable?): {exc}"
            ) from exc
        try:
            shard.flush()
            points = shard.count(CountRequest(exact=True))
            tar_directory(path, dest)
        finally:
            shard.close()
        return points

    def verify_staged(self, name: str, archived: Path, staging: Path, points: int) -> Path:
        """Unpack a shard tar into staging and prove it loads with the archived point count."""
        target = staging / name
        extract_tar(archived, target)
        try:
            from qdrant_edge import CountRequest, EdgeShard
        except ImportError:  # a host without vecpipe's extras: the checksums must do
            return target
        try:
            shard = EdgeShard.load(str(target))
        except Exception as exc:
            raise ArchiveRefused(f"archived shard {name} does not load: {exc}") from exc
        try:
            found = shard.count(CountRequest(exact=True))
        finally:
            shard.close()
        if found != points:
            raise ArchiveRefused(
                f"archived shard {name} holds {found} points, the manifest says {points}"
            )
        return target

    def install(self, staged: dict[str, Path], aside: Path) -> None:
        """Replace the vectors directory by the staged shards; the old one goes to aside."""
        root = self.settings.vectors_dir
        new_root = root.with_name(root.name + ".restoring")
        if new_root.exists():
            shutil.rmtree(new_root)
        new_root.mkdir(parents=True)
        for name, path in staged.items():
            path.rename(new_root / name)
        if root.exists():
            root.rename(aside / root.name)
        new_root.rename(root)


class QdrantServerStore:
    kind = "qdrant"
    suffix = ".snapshot"

    def __init__(self, settings: Settings) -> None:
        from qdrant_client import QdrantClient

        self.settings = settings
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        self.client = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=600)
        self.http = httpx.Client(
            base_url=settings.qdrant_url, headers={"api-key": key} if key else {}, timeout=600
        )

    def engine_version(self) -> str:
        return self.client.info().version

    def collections(self) -> list[str]:
        return sorted(c.name for c in self.client.get_collections().collections)

    def dump(self, name: str, dest: Path) -> int:
        points = self.client.count(name, exact=True).count
        snapshot = self.client.create_snapshot(name, wait=True)
        if snapshot is None:
            raise BackupError(f"Qdrant did not create a snapshot of {name}")
        digest = hashlib.sha256()
        try:
            with self.http.stream("GET", f"/collections/{name}/snapshots/{snapshot.name}") as resp:
                resp.raise_for_status()
                with dest.open("wb") as fh:
                    for block in resp.iter_bytes(1024 * 1024):
                        digest.update(block)
                        fh.write(block)
        finally:
            self.client.delete_snapshot(name, snapshot.name, wait=True)
        if snapshot.checksum and digest.hexdigest() != snapshot.checksum:
            raise BackupError(f"downloaded snapshot of {name} does not match Qdrant's checksum")
        # A snapshot is taken while writes continue; its own count is what gets restored.
        return points

    def verify_staged(self, name: str, archived: Path, staging: Path, points: int) -> Path:
        return archived  # the manifest's sha256 is the check; Qdrant verifies on recovery too

    def install(self, staged: dict[str, Path], aside: Path) -> None:
        for name, path in staged.items():
            with path.open("rb") as fh:
                response = self.http.post(
                    f"/collections/{name}/snapshots/upload",
                    params={"priority": "snapshot", "wait": "true"},
                    files={"snapshot": (path.name, fh, "application/octet-stream")},
                )
            if response.status_code >= 400:
                raise BackupError(
                    f"Qdrant refused the snapshot of {name}: "
                    f"{response.status_code} {response.text[:200]}"
                )


def open_store(settings: Settings, *, vecpipe_up: bool) -> EmbeddedStore | QdrantServerStore:
    if settings.vector_store == "qdrant":
        return QdrantServerStore(settings)
    return EmbeddedStore(settings, use_vecpipe=vecpipe_up)
