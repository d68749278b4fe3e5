"""Embedded vector store: the Qdrant engine in-process through qdrant-edge-py (0.9.0).

One shard per collection: ``<root>/<name>/shard`` plus ``<root>/<name>/collection.json`` (model,
dimension). Only one process may open a shard (its WAL is locked), hence a single vecpipe process.
qdrant-edge holds the GIL inside its calls, ``optimize()`` included: run this store in a child
process (StoreProcess) when the caller must stay responsive while an index is built.
"""

from __future__ import annotations

import json
import logging
import shutil
import tarfile
import threading
from pathlib import Path

from semantik.shared.vectorstore.base import (
    DENSE,
    PREFETCH_FACTOR,
    RRF_K,
    SPARSE,
    CollectionExistsError,
    CollectionMeta,
    CollectionNotFoundError,
    CollectionState,
    PointFilter,
    StoreHit,
    StorePoint,
    StoreQuery,
    StoreUnavailableError,
    VectorStore,
    filter_conditions,
)

log = logging.getLogger(__name__)
META_FILE = "collection.json"
SHARD_DIR = "shard"
UNINDEXED_MARKER = "unindexed"


def build_filter(flt: PointFilter | None):
    from qdrant_edge import FieldCondition, Filter, HasIdCondition, MatchAny, MatchPrefix

    conditions = filter_conditions(flt)
    if not conditions:
        return None
    return Filter(
        must=[
            HasIdCondition(set(value))
            if kind == "has_id"
            else FieldCondition(
                key=key, match=MatchAny(value) if kind == "any" else MatchPrefix(value)
            )
            for key, kind, value in conditions
        ]
    )


def _with_payload(query: StoreQuery):
    from qdrant_edge import PayloadSelector

    if not query.payload:
        return False
    return PayloadSelector.Exclude(list(query.without)) if query.without else True


def build_query(query: StoreQuery):
    """The QueryRequest for one search: dense, keyword, or both fused (RRF or DBSF)."""
    from qdrant_edge import Fusion, Prefetch, Query, QueryRequest, SearchParams, SparseVector

    flt = build_filter(query.filter)
    params = SearchParams(exact=True) if query.exact else None
    if query.mode == "dense":
        return QueryRequest(
            limit=query.k,
            query=Query.Nearest(list(query.dense), using=DENSE),
            filter=flt,
            score_threshold=query.score_threshold,
            with_payload=_with_payload(query),
            params=params,
        )
    sparse = SparseVector(query.sparse.indices, query.sparse.values)
    if query.mode == "keyword":
        return QueryRequest(
            limit=query.k,
            query=Query.Nearest(sparse, using=SPARSE),
            filter=flt,
            score_threshold=query.score_threshold,
            with_payload=_with_payload(query),
        )
    depth = max(query.k * PREFETCH_FACTOR, 20)
    return QueryRequest(
        limit=query.k,
        prefetches=[
            Prefetch(
                limit=depth,
                query=Query.Nearest(list(query.dense), using=DENSE),
                filter=flt,
                score_threshold=query.score_threshold,
                params=params,
            ),
            Prefetch(limit=depth, query=Query.Nearest(sparse, using=SPARSE), filter=flt),
        ],
        query=Fusion.Dbsf() if query.fusion == "dbsf" else Fusion.Rrf(k=RRF_K),
        with_payload=_with_payload(query),
    )


class _Shard:
    def __init__(self, meta: CollectionMeta, shard) -> None:
        self.meta = meta
        self.shard = shard
        # qdrant-edge is thread-safe for reads, but close/delete must not race a query.
        self.lock = threading.RLock()
        self.pending = 0


class EdgeStore(VectorStore):
    kind = "embedded"

    def __init__(self, root: Path | str, search_threads: int | None = None) -> None:
        """``search_threads``: the size of each shard's search thread pool (None: as the shard
        has it, else the engine's default, sized from the CPU count)."""
        self.root = Path(root)
        self._search_threads = search_threads
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._shards: dict[str, _Shard] = {}
        self._closed = False
        for meta_file in sorted(self.root.glob(f"*/{META_FILE}")):
            self._open(meta_file.parent)

    # -- lifecycle ----------------------------------------------------------------------------
    def _open(self, directory: Path) -> _Shard:
        meta = CollectionMeta(**json.loads((directory / META_FILE).read_text()))
        shard = _Shard(meta, self._load(directory, meta))
        # qdrant-edge counts vectors of plain (unbuilt) segments as indexed, so whether an index
        # build is due survives restarts only through our marker file.
        if (directory / UNINDEXED_MARKER).exists():
            shard.pending = 1
        self._shards[meta.name] = shard
        return shard

    def _config(self, dimension: int):
        from qdrant_edge import (
            Distance,
            EdgeConfig,
            EdgeSparseVectorParams,
            EdgeVectorParams,
            Modifier,
        )

        return EdgeConfig(
            vectors={DENSE: EdgeVectorParams(size=dimension, distance=Distance.Cosine)},
            sparse_vectors={SPARSE: EdgeSparseVectorParams(modifier=Modifier.Idf)},
            max_search_threads=self._search_threads,
        )

    def _load(self, directory: Path, meta: CollectionMeta):
        from qdrant_edge import EdgeShard

        path = str(directory / SHARD_DIR)
        if self._search_threads is None:
            return EdgeShard.load(path)
        # The pool size is part of the shard's config: loading with one rewrites it.
        return EdgeShard.load(path, self._config(meta.dimension))

    def _get(self, name: str) -> _Shard:
        if self._closed:
            raise StoreUnavailableError("the embedded store is closed")
        shard = self._shards.get(name)
        if shard is None:
            raise CollectionNotFoundError(f"collection {name!r} does not exist")
        return shard

    def ping(self) -> None:
        if self._closed:
            raise StoreUnavailableError("the embedded store is closed")
        if not self.root.is_dir():
            raise StoreUnavailableError(f"vectors directory {self.root} is missing")

    def close(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                with shard.lock:
                    shard.shard.flush()
                    shard.shard.close()
            self._shards.clear()
            self._closed = True

    # -- collections --------------------------------------------------------------------------
    def create_collection(self, name: str, model: str, dimension: int) -> CollectionState:
        from qdrant_edge import EdgeShard, KeywordIndexParams, UpdateOperation

        with self._lock:
            if name in self._shards:
                raise CollectionExistsError(f"collection {name!r} already exists")
            directory = self.root / name
            if directory.exists():
                # A half-created collection (crash between shard and meta file): start over.
                shutil.rmtree(directory)
            shard = EdgeShard.create(str(directory / SHARD_DIR), self._config(dimension))
            shard.update(UpdateOperation.create_field_index("document_id", KeywordIndexParams()))
            shard.update(
                UpdateOperation.create_field_index("path", KeywordIndexParams(prefix=True))
            )
            shard.flush()
            meta = CollectionMeta(name, model, dimension)
            tmp = directory / (META_FILE + ".tmp")
            tmp.write_text(json.dumps(meta.__dict__))
            tmp.rename(directory / META_FILE)
            self._shards[name] = _Shard(meta, shard)
            return self._state(self._shards[name])

    def get_collection(self, name: str) -> CollectionState:
        return self._state(self._get(name))

    def list_collections(self) -> list[CollectionState]:
        with self._lock:
            return [self._state(s) for s in self._shards.values()]

    def delete_collection(self, name: str) -> None:
        with self._lock:
            shard = self._get(name)
            with shard.lock:
                shard.shard.close()
                del self._shards[name]
                shutil.rmtree(self.root / name)

    def _state(self, shard: _Shard) -> CollectionState:
        with shard.lock:
            info = shard.shard.info()
            return CollectionState(
                name=shard.meta.name,
                model=shard.meta.model,
                dimension=shard.meta.dimension,
                points_count=int(info.points_count),
                indexed=shard.pending == 0,
                extra={
                    "segments": int(info.segments_count),
                    "indexed_vectors": int(info.indexed_vectors_count),
                },
            )

    # -- points -------------------------------------------------------------------------------
    def upsert(self, name: str, points: list[StorePoint]) -> int:
        from qdrant_edge import Point, SparseVector, UpdateOperation

        shard = self._get(name)
        dim = shard.meta.dimension
        edge_points = []
        for p in points:
            if len(p.dense) != dim:
                raise ValueError(f"vector of {len(p.dense)} dims for a {dim}-dim collection")
            vectors = {
                DENSE: list(p.dense),
                SPARSE: SparseVector(p.sparse.indices, p.sparse.values),
            }
            edge_points.append(Point(p.id, vectors, p.payload))
        with shard.lock:
            if shard.pending == 0:
                (self.root / name / UNINDEXED_MARKER).touch()
            shard.shard.update(UpdateOperation.upsert_points(edge_points))
            shard.pending += len(edge_points)
            return shard.pending

    def delete_documents(self, name: str, document_ids: list[str]) -> int:
        from qdrant_edge import FacetRequest, UpdateOperation

        shard = self._get(name)
        flt = build_filter(PointFilter(document_ids=document_ids))
        with shard.lock:
            found = shard.shard.facet(
                FacetRequest(key="document_id", limit=len(document_ids), exact=True, filter=flt)
            )
            shard.shard.update(UpdateOperation.delete_points_by_filter(flt))
            return len(found.hits)

    def search(self, name: str, query: StoreQuery) -> list[StoreHit]:
        shard = self._get(name)
        request = build_query(query)
        with shard.lock:
            points = shard.shard.query(request)
        return [StoreHit(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def optimize(self, name: str) -> bool:
        shard = self._get(name)
        with shard.lock:
            shard.shard.flush()
            changed = bool(shard.shard.optimize())
            shard.pending = 0
            (self.root / name / UNINDEXED_MARKER).unlink(missing_ok=True)
        log.info("optimized collection %s (changed=%s)", name, changed)
        return changed

    def snapshot(self, name: str, dest: str) -> int:
        """Tar ``<root>/<name>/`` (collection.json + shard/) to ``dest``, members relative to it.

        qdrant-edge 0.9.0 has no create-snapshot call, and a shard's files are only guaranteed
        consistent when it is closed: close, copy, reopen - writes to it wait on its lock."""
        with self._lock:
            shard = self._get(name)
            with shard.lock:
                directory = self.root / name
                shard.shard.flush()
                points = int(shard.shard.info().points_count)
                shard.shard.close()
                try:
                    with tarfile.open(dest, "w") as tar:
                        for path in sorted(directory.rglob("*")):
                            arcname = path.relative_to(directory).as_posix()
                            tar.add(path, arcname=arcname, recursive=False)
                finally:
                    shard.shard = self._load(directory, shard.meta)
                return points

    def flush(self, name: str) -> None:
        shard = self._get(name)
        with shard.lock:
            shard.shard.flush()
