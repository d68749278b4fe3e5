"""The Qdrant-server store: what can be checked without a server (none runs on this workplace).

Request building is tested against qdrant-client 1.20's own models; searching, upserting and
creating collections on a live server are verified elsewhere only.
"""

from __future__ import annotations

import pytest
from qdrant_client import models
from semantik.shared.vectorstore import (
    PointFilter,
    SparseVec,
    StorePoint,
    StoreQuery,
    StoreUnavailableError,
)
from semantik.shared.vectorstore.qdrant_server import (
    QdrantServerStore,
    build_filter,
    build_points,
    build_query,
    collection_config,
)

SPARSE = SparseVec([3, 17], [1.0, 1.0])
DENSE = [0.1, 0.2, 0.3]


def test_filter_combines_conditions():
    flt = build_filter(PointFilter(document_ids=["d1"], paths=["a.txt"], path_prefix="docs/"))
    assert isinstance(flt, models.Filter)
    keys = [(c.key, type(c.match).__name__) for c in flt.must]
    assert keys == [("document_id", "MatchAny"), ("path", "MatchAny"), ("path", "MatchPrefix")]
    assert flt.must[2].match.prefix == "docs/"
    assert build_filter(PointFilter()) is None and build_filter(None) is None


def test_dense_query():
    kw = build_query(StoreQuery(mode="dense", k=5, dense=DENSE, score_threshold=0.4))
    assert kw["query"] == DENSE and kw["using"] == "dense"
    assert kw["limit"] == 5 and kw["score_threshold"] == 0.4 and kw["with_payload"] is True


def test_keyword_query_uses_sparse_vector():
    kw = build_query(StoreQuery(mode="keyword", k=5, sparse=SPARSE))
    assert kw["using"] == "bm25"
    assert kw["query"] == models.SparseVector(indices=[3, 17], values=[1.0, 1.0])


def test_hybrid_query_is_rrf_over_two_prefetches():
    flt = PointFilter(path_prefix="x/")
    kw = build_query(StoreQuery(mode="hybrid", k=10, dense=DENSE, sparse=SPARSE, filter=flt))
    assert isinstance(kw["query"], models.RrfQuery)
    dense, sparse = kw["prefetch"]
    assert (dense.using, sparse.using) == ("dense", "bm25")
    assert dense.limit == sparse.limit == 40
    assert dense.filter == sparse.filter == build_filter(flt)
    # The request serialises the way the REST API expects it.
    body = models.QueryRequest(prefetch=kw["prefetch"], query=kw["query"], limit=10)
    dumped = body.model_dump(exclude_none=True)
    assert dumped["query"] == {"rrf": {"k": 60}}


def test_collection_config_and_points():
    cfg = collection_config("m", 384)
    assert cfg["vectors_config"]["dense"].size == 384
    assert cfg["vectors_config"]["dense"].distance == models.Distance.COSINE
    assert cfg["sparse_vectors_config"]["bm25"].modifier == models.Modifier.IDF
    assert cfg["metadata"] == {"semantik_model": "m", "semantik_dimension": 384}
    (point,) = build_points([StorePoint("6f1b6c3e-2a51-4c1e-9a7d-5e6b3f0c9d21", DENSE, SPARSE, {})])
    assert point.vector["dense"] == DENSE
    assert point.vector["bm25"].indices == [3, 17]


def test_unreachable_server_is_reported_without_the_key():
    store = QdrantServerStore("http://127.0.0.1:9", api_key="secret-key-xyz", timeout=2)
    try:
        with pytest.raises(StoreUnavailableError, match="unreachable") as info:
            store.ping()
        assert "secret-key-xyz" not in str(info.value)
    finally:
        store.close()
