"""webui's SQLite database: one file (settings.database_path), WAL mode, numbered migrations.

Connections are cheap; every request and the job runner open their own (sqlite3 objects are not
shared across threads). ``schema_version`` holds the number of the last applied migration.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Append only: a released migration is never edited, the next number fixes it.
MIGRATIONS: list[str] = [
    # 1: users, sessions and refresh tokens, collections, jobs, per-file state
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        failed_since REAL,
        created_at REAL NOT NULL,
        last_login_at REAL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        revoked_at REAL,
        revoked_reason TEXT,
        user_agent TEXT
    );
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        rotated_at REAL
    );
    CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
    CREATE TABLE revoked_access_tokens (
        jti TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    );
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        chunk_tokens INTEGER NOT NULL,
        chunk_overlap_tokens INTEGER NOT NULL,
        created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at REAL NOT NULL,
        last_indexed_at REAL
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        runner TEXT,
        files_total INTEGER NOT NULL DEFAULT 0,
        files_done INTEGER NOT NULL DEFAULT 0,
        added INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        unsupported INTEGER NOT NULL DEFAULT 0,
        chunks INTEGER NOT NULL DEFAULT 0,
        current_path TEXT,
        error TEXT,
        created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL
    );
    CREATE INDEX jobs_status ON jobs(status);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        document_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        sha256 TEXT,
        status TEXT NOT NULL,
        error TEXT,
        chunk_count INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        UNIQUE(collection_id, path)
    );
    """,
    # 2: failed attempts per (what, user name, client address), replacing users.failed_logins:
    # a stranger can no longer lock a user out everywhere, and unknown names are counted too.
    """
    CREATE TABLE attempts (
        scope TEXT NOT NULL,
        username TEXT NOT NULL COLLATE NOCASE,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failed_at REAL NOT NULL,
        locked_until REAL,
        PRIMARY KEY (scope, username, source)
    );
    CREATE INDEX attempts_last_failed ON attempts(last_failed_at);
    """,
    # 3: document titles (shown as search result headings); search joins hits to files by
    # document id. Files indexed before this have no title until re-indexed (the indexer fills
    # missing titles of unchanged files without re-embedding them).
    """
    ALTER TABLE files ADD COLUMN title TEXT;
    CREATE INDEX files_document ON files(collection_id, document_id);
    """,
]


def connect(path: Path) -> sqlite3.Connection:
    """A connection per request: cheap, as long as it only sets per-connection options. WAL mode
    lives in the file (open_database sets it once); asking for it here cost ~0.2 ms of CPU per
    request (bench/bench_search.py). ``timeout`` is the busy timeout (30 s)."""
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class ConnectionPool:
    """Connections kept open between requests: opening one per request (the file, the schema,
    the PRAGMAs) cost ~5 % of webui's CPU per search (bench/bench_search.py). A request has its
    connection to itself; one left inside a transaction is closed, never handed on."""

    def __init__(self, path: Path, keep: int = 16) -> None:
        self.path, self.keep = path, keep
        self._idle: list[sqlite3.Connection] = []  # pop/append are atomic: threads may share it

    def acquire(self) -> sqlite3.Connection:
        try:
            return self._idle.pop()
        except IndexError:
            return connect(self.path)

    def release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction or len(self._idle) >= self.keep:
            conn.close()  # closing rolls an unfinished transaction back
        else:
            self._idle.append(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: takes the write lock up front so read-then-write is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations not yet applied; returns the resulting version."""
    with transaction(conn):
        current = schema_version(conn)
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"database schema version {current} is newer than this Semantik "
                f"({len(MIGRATIONS)}); upgrade Semantik or restore a matching backup"
            )
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    return len(MIGRATIONS)


def open_database(path: Path) -> sqlite3.Connection:
    """Connect and bring the schema up to date (creating the parent directory if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    conn.execute("PRAGMA journal_mode=WAL")  # persistent: every later connection gets it
    migrate(conn)
    return conn


def now() -> float:
    return time.time()
