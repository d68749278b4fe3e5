"""webui's pooled SQLite connections: reused between requests, never inside a transaction."""

from __future__ import annotations

import sqlite3

import pytest
from semantik.webui.db import ConnectionPool


def test_a_released_connection_is_reused(tmp_path):
    pool = ConnectionPool(tmp_path / "webui.db")
    conn = pool.acquire()
    pool.release(conn)
    assert pool.acquire() is conn


def test_a_connection_left_in_a_transaction_is_closed_not_reused(tmp_path):
    pool = ConnectionPool(tmp_path / "webui.db")
    conn = pool.acquire()
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")
    pool.release(conn)
    other = pool.acquire()
    assert other is not conn
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")  # closed
    assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0  # rolled back


def test_at_most_keep_connections_stay_open(tmp_path):
    pool = ConnectionPool(tmp_path / "webui.db", keep=2)
    conns = [pool.acquire() for _ in range(3)]
    for conn in conns:
        pool.release(conn)
    with pytest.raises(sqlite3.ProgrammingError):
        conns[2].execute("SELECT 1")
    pool.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conns[0].execute("SELECT 1")
