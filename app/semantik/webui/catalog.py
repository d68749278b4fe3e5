"""Collections, indexing jobs and per-file state on webui's database (used by API and CLI)."""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path

from semantik.shared.schemas import NAME_PATTERN
from semantik.webui.db import now, transaction
from semantik.webui.errors import Conflict, InvalidInput, NotFound

ACTIVE_JOB_STATES = ("queued", "running")
FINAL_JOB_STATES = ("succeeded", "failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    description: str
    source: str
    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    created_at: float
    last_indexed_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Collection:
        # The fields above name the columns taken (by name, so no second list to keep in order).
        return cls(**{field.name: row[field.name] for field in fields(cls)})


def validate_collection_name(name: str) -> None:
    import re

    if not re.match(NAME_PATTERN, name):
        raise InvalidInput(
            "collection name must be 1-64 characters: letters, digits and _ . - "
            "(starting with a letter or digit)"
        )


def get_collection(conn: sqlite3.Connection, name: str) -> Collection:
    row = conn.execute("SELECT * FROM collections WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"collection {name!r} not found")
    return Collection.from_row(row)


def list_collections(conn: sqlite3.Connection) -> list[Collection]:
    return [Collection.from_row(r) for r in conn.execute("SELECT * FROM collections ORDER BY name")]


def collection_stats(conn: sqlite3.Connection, collection_id: int) -> dict[str, int]:
    row = conn.execute(
        "SELECT COUNT(*) AS files, COALESCE(SUM(chunk_count), 0) AS chunks, "
        "COALESCE(SUM(status = 'error'), 0) AS errors FROM files WHERE collection_id = ?",
        (collection_id,),
    ).fetchone()
    return {"files": row["files"], "chunks": row["chunks"], "errors": row["errors"]}


def active_job_id(conn: sqlite3.Connection, collection_id: int) -> int | None:
    """The collection's queued or running job, if any (at most one exists)."""
    row = conn.execute(
        "SELECT id FROM jobs WHERE collection_id = ? AND status IN ('queued', 'running') "
        "ORDER BY id DESC LIMIT 1",
        (collection_id,),
    ).fetchone()
    return row["id"] if row else None


def indexing_collections(conn: sqlite3.Connection, collection_ids: list[int]) -> set[int]:
    """Which of these collections have a queued or running job (their index is incomplete)."""
    marks = ",".join("?" * len(collection_ids))
    return {
        row[0]
        for row in conn.execute(
            f"SELECT collection_id FROM jobs WHERE status IN ('queued', 'running') "  # noqa: S608 (only ? marks)
            f"AND collection_id IN ({marks})",
            collection_ids,
        )
    }


def insert_collection(
    conn: sqlite3.Connection, *, name: str, source: str, model: str, dimension: int,
    chunk_tokens: int, chunk_overlap_tokens: int, description: str = "",
    created_by: int | None = None,
) -> Collection:
    validate_collection_name(name)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone():
            raise Conflict(f"collection {name!r} already exists")
        conn.execute(
            "INSERT INTO collections (name, description, source, model, dimension, chunk_tokens, "
            "chunk_overlap_tokens, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, description, source, model, dimension, chunk_tokens, chunk_overlap_tokens,
             created_by, now()),
        )
    return get_collection(conn, name)


def delete_collection(conn: sqlite3.Connection, name: str) -> None:
    collection = get_collection(conn, name)
    with transaction(conn):
        if conn.execute(
            "SELECT 1 FROM jobs WHERE collection_id = ? AND status = 'running'", (collection.id,)
        ).fetchone():
            raise Conflict(f"collection {name!r} is being indexed; cancel the job first")
        conn.execute("DELETE FROM collections WHERE id = ?", (collection.id,))


# --- jobs ----------------------------------------------------------------------------------------

def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(
    conn: sqlite3.Connection, collection: Collection, created_by: int | None = None,
    *, claim: bool = False,
) -> int:
    """Queue a job (or, with claim, create it already running in this process). One active job
    per collection: asking again returns a 409 naming the job already there."""
    with transaction(conn):
        active = conn.execute(
            "SELECT id FROM jobs WHERE collection_id = ? AND status IN ('queued', 'running')",
            (collection.id,),
        ).fetchone()
        if active:
            raise Conflict(
                f"collection {collection.name!r} already has an active job (job {active['id']})"
            )
        current = now()
        cursor = conn.execute(
            "INSERT INTO jobs (collection_id, status, runner, created_by, created_at, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                collection.id, "running" if claim else "queued",
                runner_id() if claim else None, created_by, current, current if claim else None,
            ),
        )
    return cursor.lastrowid  # type: ignore[return-value]


def claim_next_job(conn: sqlite3.Connection) -> int | None:
    with transaction(conn):
        row = conn.execute(
            "SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE jobs SET status = 'running', runner = ?, started_at = ? WHERE id = ?",
            (runner_id(), now(), row["id"]),
        )
    return row["id"]


def get_job(conn: sqlite3.Connection, job_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT j.*, c.name AS collection FROM jobs j JOIN collections c ON c.id = j.collection_id "
        "WHERE j.id = ?",
        (job_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"job {job_id} not found")
    return row


def list_jobs(
    conn: sqlite3.Connection, collection: str | None = None, limit: int = 50
) -> list[sqlite3.Row]:
    query = (
        "SELECT j.*, c.name AS collection FROM jobs j JOIN collections c ON c.id = j.collection_id"
    )
    params: list[object] = []
    if collection:
        query += " WHERE c.name = ?"
        params.append(collection)
    query += " ORDER BY j.id DESC LIMIT ?"
    params.append(limit)
    return conn.execute(query, params).fetchall()


def request_cancel(conn: sqlite3.Connection, job_id: int) -> sqlite3.Row:
    job = get_job(conn, job_id)
    if job["status"] == "queued":
        conn.execute(
            "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ? "
            "WHERE id = ? AND status = 'queued'",
            (now(), job_id),
        )
    elif job["status"] == "running":
        conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
    else:
        raise Conflict(f"job {job_id} already {job['status']}")
    return get_job(conn, job_id)


def _runner_alive(runner: str | None) -> bool:
    if not runner:
        return False
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's runner: the database is local, so this should not happen
    if int(pid) == os.getpid():
        return False  # our own pid from before a restart (containers reuse pid 1)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted_jobs(conn: sqlite3.Connection) -> list[int]:
    """At startup: running jobs whose process is gone were interrupted; say so instead of leaving
    them 'running' forever. Jobs of live processes (another worker, a CLI run) are left alone."""
    interrupted = []
    with transaction(conn):
        for row in conn.execute("SELECT id, runner FROM jobs WHERE status = 'running'").fetchall():
            if not _runner_alive(row["runner"]):
                conn.execute(
                    "UPDATE jobs SET status = 'interrupted', finished_at = ?, "
                    "error = 'interrupted by a restart of the process running it' WHERE id = ?",
                    (now(), row["id"]),
                )
                interrupted.append(row["id"])
    return interrupted


# --- per-file state ------------------------------------------------------------------------------

def file_states(conn: sqlite3.Connection, collection_id: int) -> dict[str, sqlite3.Row]:
    return {
        row["path"]: row
        for row in conn.execute("SELECT * FROM files WHERE collection_id = ?", (collection_id,))
    }


def list_files(
    conn: sqlite3.Connection, collection_id: int, status: str | None = None,
    limit: int = 500, offset: int = 0,
) -> list[sqlite3.Row]:
    query = "SELECT * FROM files WHERE collection_id = ?"
    params: list[object] = [collection_id]
    if status:
        query += " AND status = ?"
        params.append(status)
    query += " ORDER BY path LIMIT ? OFFSET ?"
    params += [limit, offset]
    return conn.execute(query, params).fetchall()


def upsert_file_state(
    conn: sqlite3.Connection, collection_id: int, path: str, *, document_id: str, size: int,
    mtime: float, sha256: str | None, status: str, error: str | None, chunk_count: int,
    title: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO files (collection_id, path, document_id, size, mtime, sha256, status, error, "
        "chunk_count, title, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(collection_id, path) DO UPDATE SET document_id = excluded.document_id, "
        "size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256, "
        "status = excluded.status, error = excluded.error, chunk_count = excluded.chunk_count, "
        "title = excluded.title, updated_at = excluded.updated_at",
        (collection_id, path, document_id, size, mtime, sha256, status, error, chunk_count, title,
         now()),
    )


def documents_by_id(
    conn: sqlite3.Connection, collection_id: int, document_ids: list[str]
) -> dict[str, sqlite3.Row]:
    """path, title, mtime of these documents (search results), keyed by document id."""
    rows: dict[str, sqlite3.Row] = {}
    for i in range(0, len(document_ids), 500):  # SQLite's bound-parameter limit
        batch = document_ids[i : i + 500]
        marks = ",".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT document_id, path, title, mtime FROM files WHERE collection_id = ? "  # noqa: S608 (only ? marks)
            f"AND document_id IN ({marks})",
            (collection_id, *batch),
        ):
            rows[row["document_id"]] = row
    return rows


def document_ids_with_suffix(
    conn: sqlite3.Connection, collection_id: int, suffixes: list[str]
) -> list[str]:
    """Indexed documents whose file name ends in one of ``suffixes`` (".pdf"; the file-type
    filter of search)."""
    clauses = " OR ".join("LOWER(path) LIKE ? ESCAPE '\\'" for _ in suffixes)
    patterns = [
        "%" + s.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for s in suffixes
    ]
    return [
        row["document_id"]
        for row in conn.execute(
            f"SELECT document_id FROM files WHERE collection_id = ? AND status = 'indexed' "  # noqa: S608 (only ? marks)
            f"AND ({clauses})",
            (collection_id, *patterns),
        )
    ]


def delete_file_states(conn: sqlite3.Connection, collection_id: int, paths: list[str]) -> None:
    conn.executemany(
        "DELETE FROM files WHERE collection_id = ? AND path = ?",
        [(collection_id, p) for p in paths],
    )


def source_path(documents_root: Path, collection: Collection) -> Path:
    return (documents_root.resolve() / collection.source).resolve()
