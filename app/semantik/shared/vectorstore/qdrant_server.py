"""Vector store on a Qdrant server (or cluster) through qdrant-client 1.20.

Verified here only for request building (tests/vecpipe/test_qdrant_server_requests.py): no Qdrant
server can run on this workplace. The collection's model and dimension are kept in Qdrant's
collection metadata. BM25 vectors are made client-side by the same encoder as the embedded store;
the server applies IDF (sparse vectors with the IDF modifier).
"""

from __future__ import annotations

import logging

from semantik.shared.vectorstore.base import (
    DENSE,
    PREFETCH_FACTOR,
    RRF_K,
    SPARSE,
    CollectionExistsError,
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
META_MODEL = "semantik_model"
META_DIMENSION = "semantik_dimension"


def build_filter(flt: PointFilter | None):
    from qdrant_client import models

    conditions = filter_conditions(flt)
    if not conditions:
        return None
    return models.Filter(
        must=[
            models.HasIdCondition(has_id=list(value))
            if kind == "has_id"
            else models.FieldCondition(
                key=key,
                match=models.MatchAny(any=value)
                if kind == "any"
                else models.MatchPrefix(prefix=value),
            )
            for key, kind, value in conditions
        ]
    )


def build_query(query: StoreQuery) -> dict:
    """Keyword arguments for ``QdrantClient.query_points`` (besides collection_name)."""
    from qdrant_client import models

    flt = build_filter(query.filter)
    with_payload = (
        models.PayloadSelectorExclude(exclude=list(query.without))
        if query.payload and query.without else query.payload
    )
    common = {"limit": query.k, "with_payload": with_payload}
    params = models.SearchParams(exact=True) if query.exact else None
    if query.mode == "dense":
        return {
            **common,
            "query": list(query.dense),
            "using": DENSE,
            "query_filter": flt,
            "score_threshold": query.score_threshold,
            "search_params": params,
        }
    sparse = models.SparseVector(indices=query.sparse.indices, values=query.sparse.values)
    if query.mode == "keyword":
        return {
            **common,
            "query": sparse,
            "using": SPARSE,
            "query_filter": flt,
            "score_threshold": query.score_threshold,
        }
    depth = max(query.k * PREFETCH_FACTOR, 20)
    return {
        **common,
        "prefetch": [
            models.Prefetch(
                query=list(query.dense),
                using=DENSE,
                filter=flt,
                limit=depth,
                score_threshold=query.score_threshold,
                params=params,
            ),
            models.Prefetch(query=sparse, using=SPARSE, filter=flt, limit=depth),
        ],
        "query": models.FusionQuery(fusion=models.Fusion.DBSF)
        if query.fusion == "dbsf"
        else models.RrfQuery(rrf=models.Rrf(k=RRF_K)),
    }


def build_points(points: list[StorePoint]) -> list:
    from qdrant_client import models

    return [
        models.PointStruct(
            id=p.id,
            vector={
                DENSE: list(p.dense),
                SPARSE: models.SparseVector(indices=p.sparse.indices, values=p.sparse.values),
            },
            payload=p.payload,
        )
        for p in points
    ]


def collection_config(
    model: str, dimension: int, replication_factor: int = 1, write_consistency_factor: int = 1
) -> dict:
    """Keyword arguments for ``QdrantClient.create_collection``. On a cluster, each shard is kept
    on ``replication_factor`` peers and a write waits for ``write_consistency_factor`` of them."""
    from qdrant_client import models

    return {
        "replication_factor": replication_factor,
        "write_consistency_factor": write_consistency_factor,
        "vectors_config": {
            DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
        },
        "sparse_vectors_config": {SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        "metadata": {META_MODEL: model, META_DIMENSION: dimension},
    }


class QdrantServerStore(VectorStore):
    kind = "qdrant"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: int = 30,
        replication_factor: int = 1,
        write_consistency_factor: int = 1,
    ) -> None:
        from qdrant_client import QdrantClient

        self.url = url
        self.replication_factor = replication_factor
        self.write_consistency_factor = write_consistency_factor
        # check_compatibility would query the server at construction; readiness reports it instead.
        self._client = QdrantClient(
            url=url, api_key=api_key, timeout=timeout, check_compatibility=False
        )

    def ping(self) -> None:
        try:
            self._client.get_collections()
        except Exception as exc:
            raise StoreUnavailableError(f"Qdrant at {self.url} unreachable: {exc}") from exc

    def close(self) -> None:
        self._client.close()

    def _require(self, name: str):
        if not self._client.collection_exists(name):
            raise CollectionNotFoundError(f"collection {name!r} does not exist")
        return self._client.get_collection(name)

    def _state(self, name: str, info) -> CollectionState:
        meta = info.config.metadata or {}
        if META_MODEL not in meta:
            raise CollectionNotFoundError(f"collection {name!r} was not made by Semantik")
        return CollectionState(
            name=name,
            model=str(meta[META_MODEL]),
            dimension=int(meta[META_DIMENSION]),
            points_count=int(info.points_count or 0),
            indexed=(info.indexed_vectors_count or 0) >= (info.points_count or 0),
            extra={"status": str(info.status)},
        )

    def create_collection(self, name: str, model: str, dimension: int) -> CollectionState:
        from qdrant_client import models

        if self._client.collection_exists(name):
            raise CollectionExistsError(f"collection {name!r} already exists")
        self._client.create_collection(
            name,
            **collection_config(
                model, dimension, self.replication_factor, self.write_consistency_factor
            ),
        )
        self._client.create_payload_index(
            name, "document_id", models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD)
        )
        self._client.create_payload_index(
            name,
            "path",
            models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, prefix=True),
        )
        return self.get_collection(name)

    def get_collection(self, name: str) -> CollectionState:
        return self._state(name, self._require(name))

    def list_collections(self) -> list[CollectionState]:
        states = []
        for c in self._client.get_collections().collections:
            try:
                states.append(self.get_collection(c.name))
            except CollectionNotFoundError:
                continue  # not ours
        return states

    def delete_collection(self, name: str) -> None:
        self._require(name)
        self._client.delete_collection(name)

    def upsert(self, name: str, points: list[StorePoint]) -> int:
        self._require(name)
        self._client.upsert(name, points=build_points(points), wait=True)
        return 0  # the server indexes in the background by itself

    def delete_documents(self, name: str, document_ids: list[str]) -> int:
        from qdrant_client import models

        self._require(name)
        flt = build_filter(PointFilter(document_ids=document_ids))
        found = self._client.facet(
            name, key="document_id", facet_filter=flt, limit=len(document_ids), exact=True
        )
        self._client.delete(name, points_selector=models.FilterSelector(filter=flt), wait=True)
        return len(found.hits)

    def search(self, name: str, query: StoreQuery) -> list[StoreHit]:
        try:
            response = self._client.query_points(name, **build_query(query))
        except Exception as exc:
            if not self._client.collection_exists(name):
                raise CollectionNotFoundError(f"collection {name!r} does not exist") from exc
            raise
        return [StoreHit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def optimize(self, name: str) -> bool:
        self._require(name)
        return False  # the server's own optimizers run continuously
