"""All of Semantik's settings, in one place.

Every field reads from the environment with the prefix ``SEMANTIK_`` (``data_dir`` is
``SEMANTIK_DATA_DIR``), or from an env file named by ``SEMANTIK_ENV_FILE`` (the roles render
/etc/semantik/semantik.env). Secrets may also come from files: each secret field ``x`` is read from
``<secrets dir>/x`` where the secrets dir is ``SEMANTIK_SECRETS_DIR`` or systemd's
``$CREDENTIALS_DIRECTORY`` (LoadCredential=), so secrets never sit in the environment of a unit.
A secrets directory that is set but missing or unreadable stops Settings() with a
:class:`SecretsError` naming the variable and the directory.

Nothing here is built at import time: call :func:`get_settings` (cached) or build ``Settings()``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SecretsSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from semantik.shared import keyring

Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "float32", "float16", "bfloat16", "int8"]
VectorStoreKind = Literal["embedded", "qdrant"]
SearchMode = Literal["hybrid", "dense", "keyword"]


SECRETS_DIR_VARIABLES = ("SEMANTIK_SECRETS_DIR", "CREDENTIALS_DIRECTORY")


class SecretsError(ValueError):
    """The secrets directory or a file in it cannot be used. The message names the variable and
    the path, never a secret's value."""


def _secrets_dir() -> tuple[str, Path] | None:
    """(variable, directory) of the first of SECRETS_DIR_VARIABLES that is set, else None.

    A set directory that is missing or unreadable is an error, not a silent fallback: the service
    would otherwise start without its secrets (or with other ones) and fail far from the cause.
    """
    for variable in SECRETS_DIR_VARIABLES:
        value = os.environ.get(variable)
        if not value:
            continue
        path = Path(value)
        if not path.exists():
            raise SecretsError(f"{variable}={value}: the secrets directory does not exist")
        if not path.is_dir():
            raise SecretsError(f"{variable}={value}: the secrets directory is not a directory")
        if not os.access(path, os.R_OK | os.X_OK):
            raise SecretsError(
                f"{variable}={value}: the secrets directory cannot be read by this user "
                f"(uid {os.geteuid()}); give it read access or point {variable} elsewhere"
            )
        return variable, path
    return None


class _SecretFiles(SecretsSettingsSource):
    """Secret files named after the field, read from the checked directory; a file that cannot be
    read is reported by name instead of as a chain of pydantic-settings exceptions."""

    def __init__(self, settings_cls: type[BaseSettings], variable: str, directory: Path) -> None:
        super().__init__(settings_cls, secrets_dir=directory, env_prefix="")
        self._variable, self._directory = variable, directory

    def __call__(self) -> dict[str, object]:
        try:
            return super().__call__()
        except PydanticSettingsError as exc:
            # pydantic-settings wraps the OSError of an unreadable file; report the file by name.
            cause = exc.__cause__
            if not isinstance(cause, OSError):
                raise
            name = Path(cause.filename).name if cause.filename else "?"
            raise SecretsError(
                f"{self._variable}={self._directory}: cannot read the secret file {name}: "
                f"{cause.strerror}"
            ) from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SEMANTIK_",
        env_file=os.environ.get("SEMANTIK_ENV_FILE"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        # Secret files are named after the field without the SEMANTIK_ prefix (jwt_secret, as the
        # units' LoadCredential= names them); the directory is looked up and checked when Settings
        # is built, not when this module is imported.
        secrets = _secrets_dir()
        if secrets is None:
            return init_settings, env_settings, dotenv_settings
        return init_settings, env_settings, dotenv_settings, _SecretFiles(settings_cls, *secrets)

    # --- paths -----------------------------------------------------------------------------
    data_dir: Path = Field(
        Path("/var/lib/semantik"),
        description="Writable state: webui.db, the model cache, the embedded vector store.",
    )
    documents_root: Path = Field(
        Path("/srv/documents"),
        description="Read-only tree that collections are built from; nothing outside it is read.",
    )

    # --- network ---------------------------------------------------------------------------
    vecpipe_host: str = Field("127.0.0.1", description="Address vecpipe binds to.")
    vecpipe_port: int = Field(8000, ge=1, le=65535, description="Port vecpipe binds to.")
    webui_host: str = Field("127.0.0.1", description="Address webui binds to.")
    webui_port: int = Field(8080, ge=1, le=65535, description="Port webui binds to.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description=(
            "Comma-separated addresses of the reverse proxies whose X-Forwarded-For/-Proto headers "
            "are trusted: nginx on the same host; in the compose runtime, the project network's "
            "gateway, through which the host's nginx reaches the containers."
        ),
    )
    vecpipe_url: str = Field(
        "http://127.0.0.1:8000", description="Where webui and the CLI reach vecpipe."
    )
    webui_url: str = Field("http://127.0.0.1:8080", description="Where the CLI reaches webui.")
    public_url: str = Field(
        "", description="The URL users open (behind the proxy); shown in messages only."
    )
    vecpipe_max_request_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest request body vecpipe reads (413 above it); an upsert of "
            "SEMANTIK_INDEX_BATCH_CHUNKS chunks must fit."
        ),
    )
    webui_max_request_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body webui reads (413 above it)."
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server worker processes. The embedded store allows only one vecpipe process.",
    )
    # uvicorn's "auto" picks these only when installed; named here, a missing one fails at start
    # instead of silently costing ~1 ms of CPU per request (bench/bench_search.py).
    server_loop: Literal["uvloop", "asyncio"] = Field(
        "uvloop", description="Event loop of both services: uvloop (libuv, C) or Python's asyncio."
    )
    server_http: Literal["httptools", "h11"] = Field(
        "httptools",
        description="HTTP/1.1 parser of both services: httptools (llhttp, C) or pure-Python h11.",
    )

    # --- secrets ---------------------------------------------------------------------------
    # Both may be key rings (semantik.shared.keyring): one key a line, current first, so a
    # rotation keeps the previous keys accepted for a while.
    jwt_secret: SecretStr | None = Field(
        None,
        description=(
            "HMAC key signing webui's access tokens (required by webui); or a key ring, one "
            "'<key id> <key>' a line: signs with the first, accepts tokens of every one."
        ),
    )
    internal_api_key: SecretStr | None = Field(
        None,
        description=(
            "Shared key webui sends to vecpipe (X-API-Key). Unset: vecpipe trusts loopback. "
            "A key ring (one key a line): webui sends the first, vecpipe accepts every one."
        ),
    )

    # --- vector store ----------------------------------------------------------------------
    vector_store: VectorStoreKind = Field(
        "embedded",
        description="'embedded': qdrant-edge shards under data_dir/vectors; 'qdrant': a server.",
    )
    qdrant_url: str = Field("", description="Qdrant server URL, e.g. http://127.0.0.1:6333.")
    qdrant_api_key: SecretStr | None = Field(None, description="Qdrant server API key.")
    qdrant_replication_factor: int = Field(
        1, ge=1, description="Copies of each shard of a new collection on a Qdrant cluster."
    )
    qdrant_write_consistency_factor: int = Field(
        1,
        ge=1,
        description="Copies that must confirm a write (at most the replication factor).",
    )
    store_process: bool = Field(
        True,
        description=(
            "Run the embedded store in a child process of vecpipe: qdrant-edge holds Python's "
            "GIL during an index build (tens of seconds), which would otherwise freeze the API."
        ),
    )
    store_search_threads: int = Field(
        1,
        ge=1,
        le=64,
        description=(
            "Threads of each embedded shard's search pool. One thread costs less CPU and time "
            "per search than the engine's default pool, sized from the CPU count "
            "(docs/search.md)."
        ),
    )
    bm25_language: str = Field(
        "english", description="Stemmer and stopwords of the BM25 keyword vectors."
    )
    optimize_after_points: int = Field(
        1000,
        ge=0,
        description=(
            "Build the HNSW index of an embedded shard after this many new points (0: never)."
        ),
    )

    # --- model -----------------------------------------------------------------------------
    model_name: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2",
        description="Embedding model served by vecpipe (a name from the model registry).",
    )
    model_path: Path | None = Field(
        None,
        description="Load the model from this directory (pre-seeded cache) instead of the hub.",
    )
    model_cache_dir: Path | None = Field(
        None, description="Hugging Face cache for downloaded models (default data_dir/models)."
    )
    device: Device = Field("auto", description="auto picks cuda when a GPU is visible, else cpu.")
    precision: Precision = Field(
        "auto",
        description="auto: float16 on CUDA, bfloat16 on CPUs that support it, else float32.",
    )
    batch_size: int = Field(32, ge=1, le=4096, description="Texts per model forward pass.")
    batch_wait_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        description="How long a request waits for others to share its batch.",
    )
    max_query_chars: int = Field(2000, ge=1, description="Longest accepted search query.")
    answer_sentence_cache: int = Field(
        4096, ge=0, le=1_000_000,
        description=(
            "Answer-passage sentence vectors vecpipe keeps for chunks indexed before sentence "
            "vectors were stored (least recently used go; 4096 take 6 MiB at 384 dimensions). "
            "0: none."
        ),
    )

    # --- indexing --------------------------------------------------------------------------
    chunk_tokens: int = Field(200, ge=16, le=8192, description="Chunk length in model tokens.")
    chunk_overlap_tokens: int = Field(32, ge=0, description="Tokens shared by adjacent chunks.")
    max_file_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Files larger than this are skipped with a reason."
    )
    default_search_mode: SearchMode = Field("hybrid", description="Search mode when not given.")
    search_fusion: Literal["rrf", "dbsf"] = Field(
        "dbsf",
        description=(
            "How hybrid search fuses dense and BM25: dbsf (distribution-based score fusion) "
            "measured best on bench/bench_retrieval.py's dev set, rrf (reciprocal rank fusion)."
        ),
    )
    # Match strength from the cosine similarity of a document's best chunk; calibrated for
    # all-MiniLM-L6-v2 by bench/calibrate_relevance.py (docs/search.md);
    # another model needs its own.
    search_floor_similarity: float = Field(
        0.30, ge=-1, le=1,
        description="Below this a document is no good match (unless it shares the query's words).",
    )
    search_fair_similarity: float = Field(0.42, ge=-1, le=1, description="fair match from here.")
    search_strong_similarity: float = Field(
        0.55, ge=-1, le=1, description="strong match from here."
    )
    search_answer_results: int = Field(
        3, ge=0, le=50,
        description=(
            "For chunks indexed before sentence vectors were stored: results at the top of a "
            "search page whose answer sentence vecpipe embeds at search time (the others show "
            "the query's words). Chunks indexed since answer every result at no model cost. "
            "0: none."
        ),
    )
    index_batch_chunks: int = Field(
        256, ge=1, le=4096, description="Chunks webui sends to vecpipe per upsert request."
    )
    extraction_workers: int = Field(
        2, ge=1, le=64, description="Threads webui's job runner uses to extract text from files."
    )

    # --- auth ------------------------------------------------------------------------------
    access_token_minutes: int = Field(15, ge=1, description="Lifetime of an access token.")
    refresh_token_days: int = Field(14, ge=1, description="Lifetime of a refresh token.")
    login_max_failures: int = Field(
        10,
        ge=1,
        le=1000,
        description=(
            "Failed logins for one user name from one client address before that pair must "
            "wait (the same limit applies to password changes per user)."
        ),
    )
    login_backoff_seconds: int = Field(
        60,
        ge=1,
        le=86400,
        description=(
            "First wait after login_max_failures; it doubles with each further failure, up to "
            "login_backoff_max_seconds. Other client addresses are not affected."
        ),
    )
    login_backoff_max_seconds: int = Field(
        3600, ge=1, le=7 * 86400, description="Longest wait between login attempts."
    )

    # --- operations ------------------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    log_json: bool = Field(False, description="One JSON object per log line (for journald/Loki).")
    backup_dir: Path = Field(Path("/var/backups/semantik"), description="Where backups go.")
    config_dir: Path = Field(
        Path("/etc/semantik"),
        description="Config and secrets: backups include this directory, restore puts it back.",
    )
    backup_keep_daily: int = Field(
        7, ge=1, description="Backups kept: the newest of each of N days."
    )
    backup_keep_weekly: int = Field(
        4, ge=0, description="Also kept: the newest backup of each of the last M ISO weeks."
    )
    backup_encryption_key_file: Path | None = Field(
        None,
        description="File holding the key archives are encrypted with (AES-256-GCM); unset: plain.",
    )
    backup_metrics_file: Path | None = Field(
        None,
        description=(
            "Also write the last run's status as Prometheus text here (textfile collector)."
        ),
    )
    restore_drill_metrics_file: Path | None = Field(
        None,
        description=(
            "Also write the last restore drill's result as Prometheus text here (textfile "
            "collector)."
        ),
    )

    @model_validator(mode="after")
    def _check_store(self) -> Settings:
        if self.vector_store == "qdrant" and not self.qdrant_url:
            raise ValueError("SEMANTIK_QDRANT_URL is required when SEMANTIK_VECTOR_STORE=qdrant")
        if self.qdrant_write_consistency_factor > self.qdrant_replication_factor:
            raise ValueError(
                "SEMANTIK_QDRANT_WRITE_CONSISTENCY_FACTOR must not exceed "
                "SEMANTIK_QDRANT_REPLICATION_FACTOR"
            )
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                "SEMANTIK_CHUNK_OVERLAP_TOKENS must be smaller than SEMANTIK_CHUNK_TOKENS"
            )
        for name in ("jwt_secret", "internal_api_key"):
            value = getattr(self, name)
            try:
                keyring.parse(value.get_secret_value() if value is not None else "")
            except keyring.KeyringError as exc:
                raise ValueError(
                    f"SEMANTIK_{name.upper()} is not a valid key ring: {exc}"
                ) from None
        return self

    # --- key rings ------------------------------------------------------------------------
    @property
    def jwt_keys(self) -> list[keyring.Key]:
        """The JWT signing keys, current first (empty when unset)."""
        return keyring.parse(self.jwt_secret.get_secret_value()) if self.jwt_secret else []

    @property
    def internal_api_keys(self) -> list[str]:
        """Every internal API key vecpipe accepts, the one to send first (empty when unset)."""
        if self.internal_api_key is None:
            return []
        return [key.secret for key in keyring.parse(self.internal_api_key.get_secret_value())]

    @property
    def internal_api_key_current(self) -> str | None:
        """The internal API key webui and the CLI send."""
        keys = self.internal_api_keys
        return keys[0] if keys else None

    # --- derived paths ---------------------------------------------------------------------
    @property
    def database_path(self) -> Path:
        return self.data_dir / "webui.db"

    @property
    def vectors_dir(self) -> Path:
        return self.data_dir / "vectors"

    @property
    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
