"""The one small interface vecpipe uses to reach vectors, whichever store holds them.

Everything crossing it is plain Python (dataclasses, lists, dicts) so a store can live in another
process (see process.py) and so the embedded and server stores take exactly the same inputs.
Each point carries a dense vector ("dense") and a BM25 sparse vector ("bm25") plus the chunk
payload; point ids are UUID strings derived from chunk ids (``point_id``).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from semantik.shared.passages import SENTENCE_FIELDS, stored_answers

DENSE = "dense"
SPARSE = "bm25"
# Payload fields with a keyword index: filters on them are ~100x faster than unindexed ones.
INDEXED_FIELDS = ("document_id", "path")
# RRF constant from the original paper; Qdrant's default too.
RRF_K = 60
# How many candidates each branch of a hybrid query hands to the fusion, per requested hit.
PREFETCH_FACTOR = 4
_POINT_NAMESPACE = uuid.UUID("6f1b6c3e-2a51-4c1e-9a7d-5e6b3f0c9d21")

StoreMode = Literal["hybrid", "dense", "keyword"]
# How hybrid merges its two branches: reciprocal rank fusion, or distribution-based score fusion
# (each branch's scores normalised by their mean +- 3 standard deviations, then summed).
FusionName = Literal["rrf", "dbsf"]


def point_id(chunk_id: str) -> str:
    """Qdrant accepts only integers and UUIDs as ids: map chunk ids deterministically."""
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


class StoreError(Exception):
    """Base of the store's own errors (picklable: single message argument)."""


class CollectionNotFoundError(StoreError):
    pass


class CollectionExistsError(StoreError):
    pass


class StoreUnavailableError(StoreError):
    pass


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]


@dataclass
class StorePoint:
    id: str
    dense: list[float]
    sparse: SparseVec
    payload: dict


@dataclass
class PointFilter:
    document_ids: list[str] | None = None
    paths: list[str] | None = None
    path_prefix: str | None = None
    # Point ids (``point_id`` of chunk ids): scores of exactly these points (search explain).
    point_ids: list[str] | None = None

    def is_empty(self) -> bool:
        return not (self.document_ids or self.paths or self.path_prefix or self.point_ids)


def filter_conditions(flt: PointFilter | None) -> list[tuple[str, str, str | list[str]]]:
    """The filter as (payload field, "any" | "prefix" | "has_id", value) conditions that must all
    hold; each store turns them into its own client's condition objects."""
    if flt is None or flt.is_empty():
        return []
    conditions: list[tuple[str, str, str | list[str]]] = []
    if flt.document_ids:
        conditions.append(("document_id", "any", list(flt.document_ids)))
    if flt.paths:
        conditions.append(("path", "any", list(flt.paths)))
    if flt.path_prefix:
        conditions.append(("path", "prefix", flt.path_prefix))
    if flt.point_ids:
        conditions.append(("id", "has_id", list(flt.point_ids)))
    return conditions


@dataclass
class StoreQuery:
    mode: StoreMode
    k: int
    dense: list[float] | None = None
    sparse: SparseVec | None = None
    filter: PointFilter | None = None
    # Cosine similarity floor for dense and hybrid (applied to the dense branch: RRF scores are
    # ranks, not similarities); BM25 score floor for keyword.
    score_threshold: float | None = None
    # Brute force instead of the HNSW index: the reference for recall checks (bench).
    exact: bool = False
    fusion: FusionName = "rrf"
    # Hits' payloads: False for none (scores only), else all fields but those in ``without``.
    payload: bool = True
    without: tuple[str, ...] = ()
    # For ``VectorStore.retrieve``: each hit's dense and BM25 scores; the answer passages of each
    # document's best ``answer_chunks`` hits (0: none).
    explain: bool = False
    answer_chunks: int = 0


@dataclass
class StoreHit:
    id: str
    score: float
    payload: dict


@dataclass
class Retrieved:
    hits: list[StoreHit]
    # {point id: score}; empty unless explained.
    dense_scores: dict[str, float] = field(default_factory=dict)
    keyword_scores: dict[str, float] = field(default_factory=dict)
    # One per hit: (start, end, similarity) in the hit's text, or None.
    answers: list[tuple[int, int, float] | None] = field(default_factory=list)


@dataclass
class CollectionMeta:
    name: str
    model: str
    dimension: int


@dataclass
class CollectionState:
    name: str
    model: str
    dimension: int
    points_count: int
    indexed: bool
    extra: dict = field(default_factory=dict)


class VectorStore(ABC):
    """Collections of chunks with dense + BM25 vectors. Implementations: EdgeStore (embedded,
    qdrant-edge), QdrantServerStore (qdrant-client), StoreProcess (any store in a child process)."""

    kind: str = "abstract"

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailableError when the store cannot serve requests."""

    @abstractmethod
    def create_collection(self, name: str, model: str, dimension: int) -> CollectionState:
        """Create it; CollectionExistsError when the name is taken."""

    @abstractmethod
    def get_collection(self, name: str) -> CollectionState:
        """CollectionNotFoundError when missing."""

    @abstractmethod
    def list_collections(self) -> list[CollectionState]: ...

    @abstractmethod
    def delete_collection(self, name: str) -> None:
        """CollectionNotFoundError when missing."""

    @abstractmethod
    def upsert(self, name: str, points: list[StorePoint]) -> int:
        """Insert or replace points; returns how many points are now pending indexing."""

    @abstractmethod
    def delete_documents(self, name: str, document_ids: list[str]) -> int:
        """Delete every point of these documents; returns how many of them had points."""

    @abstractmethod
    def search(self, name: str, query: StoreQuery) -> list[StoreHit]: ...

    def retrieve(self, name: str, query: StoreQuery) -> Retrieved:
        """The hits of ``query`` and, as it asks:
        - ``explain``: their dense and BM25 scores (a hit sharing no word with the query has no
          BM25 score). Fused scores are ranks: they say neither how close a hit is in meaning
          nor whether it shares a word with the query.
        - ``answer_chunks``: answer passages from the sentence spans and vectors stored with the
          hits, read for that even where ``query.without`` leaves them out, and not returned.

        One method, so that a store in another process (StoreProcess) answers in one round trip
        instead of three, and the sentence vectors (~10 KiB a chunk) stay in that process."""
        answering = query.answer_chunks > 0 and query.dense is not None
        if answering:
            without = tuple(f for f in query.without if f not in SENTENCE_FIELDS)
            hits = self.search(name, replace(query, without=without))
        else:
            hits = self.search(name, query)
        found = Retrieved(hits, answers=[None] * len(hits))
        if query.explain and hits:
            restrict = PointFilter(point_ids=[h.id for h in hits])
            scores: list[dict[str, float]] = []
            for mode in ("dense", "keyword"):
                if query.mode == mode:  # the search itself already scored them this way
                    scores.append({h.id: h.score for h in hits})
                    continue
                lookup = StoreQuery(
                    mode=mode, k=len(hits), dense=query.dense, sparse=query.sparse,
                    filter=restrict, exact=True, payload=False,
                )
                scores.append({h.id: h.score for h in self.search(name, lookup)})
            found.dense_scores, found.keyword_scores = scores
        if answering:
            payloads = [h.payload for h in hits]
            found.answers = stored_answers(
                payloads, np.asarray(query.dense, dtype=np.float32), query.answer_chunks
            )
            for payload in payloads:
                for key in SENTENCE_FIELDS:
                    payload.pop(key, None)
        return found

    @abstractmethod
    def optimize(self, name: str) -> bool:
        """Flush and build indexes; blocks. True when work was done."""

    def snapshot(self, name: str, dest: str) -> int:
        """Write a consistent tar of the collection to ``dest``; return its point count.
        Embedded stores only: a Qdrant server has its own snapshot API."""
        raise NotImplementedError(f"{self.kind} store has no file snapshots")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and connections."""
