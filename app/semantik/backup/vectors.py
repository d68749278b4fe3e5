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
import importlib.util
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from semantik.backup.errors import ArchiveRefused, BackupError
from semantik.backup.ownership import match_owner
from semantik.backup.shardtar import extract_tar
from semantik.shared.settings import Settings

SNAPSHOT_HEADER_POINTS = "X-Points-Count"


def vecpipe_client(settings: Settings, timeout: float = 600.0) -> httpx.Client:
    headers = {}
    if settings.internal_api_key_current is not None:
        headers["X-API-Key"] = settings.internal_api_key_current
    return httpx.Client(base_url=settings.vecpipe_url, headers=headers, timeout=timeout)


def vecpipe_running(settings: Settings) -> bool:
    try:
        with vecpipe_client(settings, timeout=5.0) as client:
            return client.get("/livez").status_code == 200
    except httpx.TransportError:
        return False


def _canonical_model(name: str) -> str:
    try:  # the registry maps aliases to one name; it needs vecpipe's extras (numpy)
        from semantik.shared.embedding.registry import lookup
    except ImportError:
        return name
    spec = lookup(name)
    return spec.name if spec else name


def served_model(settings: Settings) -> str:
    """The model vecpipe serves when it answers, else the configured one."""
    try:
        with vecpipe_client(settings, timeout=5.0) as client:
            response = client.get("/models")
            response.raise_for_status()
            for model in response.json()["models"]:
                if model.get("loaded"):
                    return _canonical_model(model["name"])
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    return _canonical_model(settings.model_name)


def _edge_version() -> str:
    try:
        return version("qdrant-edge-py")
    except PackageNotFoundError:
        return "unknown"


class EmbeddedStore:
    """Collections of the embedded store: <vectors_dir>/<name>/ (collection.json + shard/)."""

    kind = "embedded"
    suffix = ".tar"

    def __init__(self, settings: Settings, *, use_vecpipe: bool) -> None:
        self.settings = settings
        self.use_vecpipe = use_vecpipe
        self._direct = None

    def engine_version(self) -> str:
        return _edge_version()

    def _open_direct(self):
        """vecpipe is down: open the shards here (the same code vecpipe uses)."""
        if self._direct is None:
            from semantik.shared.vectorstore import StoreUnavailableError, open_edge_store

            try:
                self._direct = open_edge_store(str(self.settings.vectors_dir))
            except StoreUnavailableError as exc:
                raise BackupError(f"vecpipe does not answer and {exc}") from exc
        return self._direct

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
            self._direct = None
            match_owner([self.settings.vectors_dir], self.settings.data_dir)

    def collections(self) -> list[str]:
        if self.use_vecpipe:
            with vecpipe_client(self.settings) as client:
                response = client.get("/collections")
                response.raise_for_status()
                return sorted(c["name"] for c in response.json())
        if not self.settings.vectors_dir.is_dir():
            return []
        return sorted(c.name for c in self._open_direct().list_collections())

    def dump(self, name: str, dest: Path) -> int:
        """Write the collection's tar to dest; return its point count at that moment."""
        if not self.use_vecpipe:
            return self._open_direct().snapshot(name, str(dest))
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

    def stage(self, collections: dict[str, int], archive_root: Path, staging: Path) -> dict:
        """Unpack every collection's tar into staging and prove each loads with its archived
        point count (when the engine is installed here). Returns name -> staged directory."""
        staged = {}
        for name in collections:
            staged[name] = staging / name
            extract_tar(archive_root / f"vectors/{name}{self.suffix}", staged[name])
        if not engine_installed():  # a host without vecpipe's extras: the checksums must do
            return staged
        from semantik.shared.vectorstore.edge import EdgeStore

        try:
            store = EdgeStore(staging)
        except Exception as exc:  # qdrant-edge raises plain exceptions
            raise ArchiveRefused(f"an archived shard does not load: {exc}") from exc
        try:
            found = {c.name: c.points_count for c in store.list_collections()}
        finally:
            store.close()
        for name, points in collections.items():
            if found.get(name) != points:
                raise ArchiveRefused(
                    f"archived collection {name} loads with {found.get(name)} points, "
                    f"the manifest says {points}"
                )
        return staged

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


def engine_installed() -> bool:
    """Whether this host can open embedded shards: qdrant-edge comes with vecpipe's extras, which a
    webui-only host of a split site does not install (EdgeStore imports it lazily)."""
    return importlib.util.find_spec("qdrant_edge") is not None


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

    def close(self) -> None:
        self.http.close()
        self.client.close()

    def stage(self, collections: dict[str, int], archive_root: Path, staging: Path) -> dict:
        # The manifest's sha256 is the check here; Qdrant verifies the snapshot on recovery too.
        return {name: archive_root / f"vectors/{name}{self.suffix}" for name in collections}

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
