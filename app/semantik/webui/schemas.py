"""Request and response models of webui's API (/api/...)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from semantik.shared.schemas import NAME_PATTERN, SearchModeName

USERNAME_FIELD = Field(min_length=1, max_length=64)
PASSWORD_FIELD = Field(min_length=1, max_length=1024)


class Message(BaseModel):
    detail: str


# --- auth ---------------------------------------------------------------------------------------
class LoginRequest(BaseModel):
    username: str = USERNAME_FIELD
    password: str = PASSWORD_FIELD


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(None, max_length=512)


class UserOut(BaseModel):
    id: int
    username: str
    is_admin: bool
    disabled: bool
    created_at: float
    last_login_at: float | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 scheme name)
    expires_in: int = Field(description="Seconds the access token is valid.")
    session_id: str
    user: UserOut


class SessionOut(BaseModel):
    id: str
    created_at: float
    expires_at: float
    user_agent: str | None = None
    current: bool = False


class PasswordChange(BaseModel):
    current_password: str = PASSWORD_FIELD
    new_password: str = PASSWORD_FIELD


# --- users (admin) ------------------------------------------------------------------------------
class UserCreate(BaseModel):
    username: str = USERNAME_FIELD
    password: str = PASSWORD_FIELD
    is_admin: bool = False


class UserUpdate(BaseModel):
    disabled: bool | None = None
    is_admin: bool | None = None


class PasswordReset(BaseModel):
    password: str = PASSWORD_FIELD


# --- collections, files, jobs -------------------------------------------------------------------
class CollectionCreateIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    source: str = Field(
        min_length=1, max_length=4096,
        description="Directory relative to the documents root (or absolute, inside it).",
    )
    description: str = Field("", max_length=2000)
    model: str | None = Field(None, description="Default: the model vecpipe serves.")
    index: bool = Field(True, description="Queue a first indexing job right away.")


class CollectionOut(BaseModel):
    # The counts always come back (defaults fill them): the response schema says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    name: str
    description: str
    source: str
    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    created_at: float
    last_indexed_at: float | None
    files: int = 0
    chunks: int = 0
    errors: int = 0
    active_job_id: int | None = None


class FileOut(BaseModel):
    path: str
    size: int
    mtime: float
    sha256: str | None
    status: str = Field(description="indexed | error | unsupported")
    error: str | None
    chunk_count: int
    updated_at: float


class JobOut(BaseModel):
    id: int
    collection: str
    status: str = Field(
        description="queued | running | succeeded | failed | cancelled | interrupted"
    )
    cancel_requested: bool
    files_total: int
    files_done: int
    added: int
    updated: int
    skipped: int
    removed: int
    failed: int
    unsupported: int
    chunks: int
    current_path: str | None
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None


# --- search -------------------------------------------------------------------------------------
class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    collections: list[str] = Field(
        default_factory=list, max_length=50, description="Empty: every collection."
    )
    k: int = Field(10, ge=1, le=50, description="Documents per page.")
    offset: int = Field(0, ge=0, le=1000, description="Documents to skip: the next page's start.")
    mode: SearchModeName | None = None
    file_types: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=20,
        description='Only documents with these extensions ("pdf", ".md"); empty: all.',
    )
    folder: str | None = Field(
        None, max_length=4096, description="Only documents under this folder (documents root)."
    )
    sort: Literal["relevance", "date"] = Field(
        "relevance", description="date: newest file first (among the good matches)."
    )


class PassageOut(BaseModel):
    chunk_index: int
    start: int = Field(description="Offsets of the chunk in the document text.")
    end: int
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets in snippet of the query's words."
    )
    answer: tuple[int, int] | None = Field(
        None, description="[start, end) in snippet of the sentence(s) closest to the query."
    )
    answer_start: int | None = Field(
        None, description="The answer's offsets in the document text (preview scrolls there)."
    )
    answer_end: int | None = None


class DocumentResultOut(BaseModel):
    collection: str
    document_id: str
    path: str
    title: str
    file_type: str
    mtime: float | None
    score: float = Field(description="Fused score of the best chunk (orders results).")
    similarity: float | None = Field(description="Cosine similarity of the best chunk.")
    strength: Literal["strong", "fair", "weak"]
    matched: Literal["meaning", "words", "both"]
    passage: PassageOut
    more_passages: list[PassageOut] = Field(description="Other matching chunks, best first.")


class SearchHitOut(BaseModel):
    collection: str
    path: str
    document_id: str
    chunk_index: int
    score: float
    start: int
    end: int
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets in snippet of the query's words."
    )


class SearchOut(BaseModel):
    query: str
    model: str
    results: list[DocumentResultOut] = Field(description="One per document, best first.")
    total: int = Field(description="Good matches in all pages.")
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null: no more.")
    no_good_match: bool = Field(description="Nothing reached the calibrated similarity floor.")
    indexing: list[str] = Field(description="Searched collections still being indexed.")
    hits: list[SearchHitOut] = Field(description="The lead chunk of each result (older clients).")
    took_ms: float


class PreviewOut(BaseModel):
    collection: str
    document_id: str
    path: str = Field(description="Relative to the documents root, as in search results.")
    title: str
    text: str = Field(
        description="The document as indexed: extracted plain text; answer offsets index it."
    )


# --- misc ---------------------------------------------------------------------------------------
class SourcesOut(BaseModel):
    path: str
    directories: list[str]


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = {}


class AboutOut(BaseModel):
    version: str
    release: str = Field(
        description="<version>-<build id> of the running release (build 'dev' outside one)"
    )
    python: str
    model: str | None = None
    dimension: int | None = None
    device: str | None = None
    precision: str | None = None
    vecpipe: str = Field(description="ok | unreachable")
    documents_root: str
    components: dict[str, str] = {}
