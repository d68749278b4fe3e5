"""Vector-store access behind one interface (base.VectorStore): embedded qdrant-edge shards
(edge.EdgeStore, optionally in a child process: process.StoreProcess) or a Qdrant server
(qdrant_server.QdrantServerStore). ``make_store`` picks one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from semantik.shared.vectorstore.base import (
    CollectionExistsError,
    CollectionNotFoundError,
    CollectionState,
    PointFilter,
    SparseVec,
    StoreError,
    StoreHit,
    StorePoint,
    StoreQuery,
    StoreUnavailableError,
    VectorStore,
    point_id,
)

if TYPE_CHECKING:
    from semantik.shared.settings import Settings

__all__ = [
    "CollectionExistsError",
    "CollectionNotFoundError",
    "CollectionState",
    "PointFilter",
    "SparseVec",
    "StoreError",
    "StoreHit",
    "StorePoint",
    "StoreQuery",
    "StoreUnavailableError",
    "VectorStore",
    "make_store",
    "point_id",
]


def open_edge_store(root: str, search_threads: int | None = None) -> VectorStore:
    """Open the embedded store, turning a held WAL lock into a message an operator can act on."""
    from semantik.shared.vectorstore.edge import EdgeStore

    try:
        return EdgeStore(root, search_threads)
    except Exception as exc:
        if "WAL" in str(exc) or "WouldBlock" in str(exc):
            raise StoreUnavailableError(
                f"another process already has the embedded vector store at {root} open. "
                "The embedded store allows exactly one vecpipe process: run vecpipe with "
                "one worker (SEMANTIK_WORKERS=1), stop the other instance, or use a Qdrant "
                "server (SEMANTIK_VECTOR_STORE=qdrant)"
            ) from exc
        raise


def make_store(settings: Settings) -> VectorStore:
    if settings.vector_store == "qdrant":
        from semantik.shared.vectorstore.qdrant_server import QdrantServerStore

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantServerStore(
            settings.qdrant_url,
            key,
            replication_factor=settings.qdrant_replication_factor,
            write_consistency_factor=settings.qdrant_write_consistency_factor,
        )
    root = str(settings.vectors_dir)
    if settings.store_process:
        from semantik.shared.vectorstore.process import StoreProcess

        return StoreProcess(root, settings.store_search_threads)
    return open_edge_store(root, settings.store_search_threads)
