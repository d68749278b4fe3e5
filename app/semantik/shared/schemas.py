"""Request and response models of the vecpipe API, shared by vecpipe (server) and webui/CLI
(clients). webui's own API models live in semantik.webui.schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# SQLite's and Qdrant's integer range: integers in requests are bounded by it (422 beyond).
MAX_INT64 = 2**63 - 1

SearchModeName = Literal["hybrid", "dense", "keyword"]
FusionName = Literal["rrf", "dbsf"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


# A request field that identifies something: never empty (an empty id or document_id gives
# points that no re-index can remove), bounded so a payload stays small.
Ident = Annotated[str, Field(min_length=1, max_length=4096)]
Offset = Annotated[int, Field(ge=0, le=MAX_INT64)]


class StrictRequest(BaseModel):
    """Base of vecpipe's request bodies: unknown fields are refused and types are not coerced
    (``true`` is not an integer, ``"5"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorResponse(BaseModel):
    detail: str


class ModelInfo(BaseModel):
    name: str
    dimension: int
    pooling: str
    max_seq_length: int
    # Approximate GPU/CPU memory for the weights, MiB, per precision.
    memory_mib: dict[str, int]
    loaded: bool = False
    device: str | None = None
    precision: str | None = None


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class EmbedRequest(StrictRequest):
    texts: list[Annotated[str, Field(max_length=100_000)]] = Field(min_length=1, max_length=1024)
    kind: Literal["query", "passage"] = "passage"


class EmbedResponse(BaseModel):
    model: str
    dimension: int
    vectors: list[list[float]]


class CollectionCreate(StrictRequest):
    name: str = Field(pattern=NAME_PATTERN)
    # Defaults to the model vecpipe serves; the dimension always comes from the model.
    model: str | None = None


class CollectionInfo(BaseModel):
    name: str
    model: str
    dimension: int
    points_count: int
    indexed: bool = Field(description="HNSW index built for all points (embedded store).")


class ChunkIn(StrictRequest):
    id: Ident = Field(description="Deterministic chunk id, unique within the collection.")
    document_id: Ident
    path: Ident = Field(description="Path relative to the documents root.")
    chunk_index: Offset
    text: str = Field(min_length=1, max_length=1_000_000)
    start: Offset = Field(0, description="Character offset of the chunk in the document text.")
    end: Offset = 0
    context: str = Field(
        "", max_length=2000,
        description="Document title and path: embedded with the text, not stored as part of it.",
    )


class UpsertRequest(StrictRequest):
    chunks: list[ChunkIn] = Field(min_length=1, max_length=4096)


class UpsertResponse(BaseModel):
    upserted: int
    embed_ms: float
    store_ms: float


class DeleteDocumentsRequest(StrictRequest):
    document_ids: list[Ident] = Field(min_length=1, max_length=10000)


class DeleteDocumentsResponse(BaseModel):
    deleted_documents: int


class SearchFilter(StrictRequest):
    document_ids: list[Ident] | None = Field(None, max_length=10000)
    paths: list[Ident] | None = Field(None, max_length=10000)
    path_prefix: str | None = Field(None, max_length=4096)


class SearchRequest(StrictRequest):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(10, ge=1, le=100)
    mode: SearchModeName | None = None
    filter: SearchFilter | None = None
    score_threshold: float | None = Field(
        None,
        description=(
            "dense and hybrid: minimum cosine similarity of the dense match (hybrid scores are "
            "RRF ranks, so the floor applies before fusion); keyword: minimum BM25 score."
        ),
    )
    # When given, must equal the collection's model; otherwise the search is refused (409).
    model: str | None = None
    fusion: FusionName | None = Field(
        None, description="hybrid: rrf or dbsf; default: the search_fusion setting (dbsf)."
    )
    explain: bool = Field(
        False,
        description=(
            "Also score every hit both ways: dense_score (cosine similarity to the query) and "
            "keyword_score (BM25; null when it shares no word with the query). Two more store "
            "lookups restricted to the hits."
        ),
    )
    answers: bool = Field(
        False,
        description=(
            "Also give the best two hits of each document their answer passage: the "
            "sentence(s) of the text closest to the query, from sentence vectors stored at "
            "indexing (no model work); null for chunks indexed before those were stored."
        ),
    )


class Passage(BaseModel):
    start: int = Field(description="[start, end) character offsets in the text.")
    end: int
    score: float = Field(description="Cosine similarity of the passage to the query.")


class SearchHit(BaseModel):
    id: str
    score: float
    document_id: str
    path: str
    chunk_index: int
    text: str
    start: int = 0
    end: int = 0
    dense_score: float | None = Field(None, description="explain: cosine similarity.")
    keyword_score: float | None = Field(None, description="explain: BM25 score, null: no word.")
    answer: Passage | None = Field(None, description="answers: the answer passage in text.")


class PassagesRequest(StrictRequest):
    query: str = Field(min_length=1, max_length=2000)
    texts: list[Annotated[str, Field(max_length=100_000)]] = Field(min_length=1, max_length=100)


class PassagesResponse(BaseModel):
    passages: list[Passage] = Field(
        description="For each text, its sentence(s) closest to the query."
    )


class SearchTimings(BaseModel):
    embed_ms: float
    search_ms: float
    total_ms: float


class SearchResponse(BaseModel):
    collection: str
    model: str
    mode: SearchModeName
    hits: list[SearchHit]
    timings: SearchTimings


class HealthResponse(BaseModel):
    status: str
    checks: dict[str, str] = {}
