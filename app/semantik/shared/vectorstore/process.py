"""Run a vector store in a child process and call it through a pipe.

Why: qdrant-edge keeps the GIL for the whole of each call. ``optimize()`` on 50k points takes
~36 s, and in-process that would freeze vecpipe entirely (no /livez, no embedding). In a child
process only store calls wait for it; the API, the model and the metrics keep answering.
Calls are serialised (one in flight): the child is single-threaded anyway because of the GIL.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from semantik.shared.vectorstore.base import (
    CollectionState,
    Retrieved,
    StoreHit,
    StorePoint,
    StoreQuery,
    StoreUnavailableError,
    VectorStore,
)

log = logging.getLogger(__name__)
_STOP = "__stop__"


def _serve(conn: Connection, root: str, search_threads: int | None) -> None:
    from semantik.shared.vectorstore import open_edge_store

    try:
        store = open_edge_store(root, search_threads)
    except BaseException as exc:  # report any start failure (e.g. a locked WAL) to the parent
        conn.send(("err", StoreUnavailableError(str(exc))))
        return
    conn.send(("ok", store.kind))
    try:
        while True:
            try:
                method, args = conn.recv()
            except (EOFError, OSError):  # parent died: close the shards cleanly
                break
            if method == _STOP:
                break
            try:
                conn.send(("ok", getattr(store, method)(*args)))
            except Exception as exc:
                try:
                    conn.send(("err", exc))
                except Exception:  # an exception that does not pickle
                    conn.send(("err", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        store.close()
        with contextlib.suppress(OSError):
            conn.send(("ok", None))


class StoreProcess(VectorStore):
    """The embedded store (EdgeStore at ``root``) in a child Python process.

    The child is started with ``python -m semantik.shared.vectorstore.process`` (not
    multiprocessing's spawn, which re-imports the caller's main script) and talks over a
    socketpair with multiprocessing's pickling Connection.
    """

    def __init__(
        self, root: str, search_threads: int | None = None, start_timeout: float = 60.0
    ) -> None:
        parent_sock, child_sock = socket.socketpair()
        threads = [] if search_threads is None else ["--search-threads", str(search_threads)]
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "semantik.shared.vectorstore.process",
                "--root",
                str(root),
                "--fd",
                str(child_sock.fileno()),
                *threads,
            ],
            pass_fds=(child_sock.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child_sock.close()
        self._conn = Connection(parent_sock.detach())
        self._lock = threading.Lock()
        self._busy_since: float | None = None
        try:
            if not self._conn.poll(start_timeout):
                raise StoreUnavailableError("the vector store process did not start in time")
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._proc.kill()
            raise StoreUnavailableError(f"the vector store process failed to start: {exc}") from exc
        except StoreUnavailableError:
            self._proc.kill()
            raise
        if status == "err":
            self._proc.wait(10)
            raise value
        self.kind = value

    def _alive(self) -> bool:
        return self._proc.poll() is None

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            if not self._alive():
                raise StoreUnavailableError("the vector store process has exited")
            self._busy_since = time.monotonic()
            try:
                self._conn.send((method, args))
                status, value = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise StoreUnavailableError(f"lost the vector store process: {exc}") from exc
            finally:
                self._busy_since = None
        if status == "err":
            raise value
        return value

    @property
    def pid(self) -> int:
        return self._proc.pid

    def busy_seconds(self) -> float:
        """How long the current call has been running (0 when idle): e.g. an index build."""
        since = self._busy_since
        return 0.0 if since is None else time.monotonic() - since

    def ping(self) -> None:
        # Answered here, not in the child: during an index build the child is busy but healthy.
        if not self._alive():
            raise StoreUnavailableError("the vector store process has exited")

    def create_collection(self, name: str, model: str, dimension: int) -> CollectionState:
        return self._call("create_collection", name, model, dimension)

    def get_collection(self, name: str) -> CollectionState:
        return self._call("get_collection", name)

    def list_collections(self) -> list[CollectionState]:
        return self._call("list_collections")

    def delete_collection(self, name: str) -> None:
        self._call("delete_collection", name)

    def upsert(self, name: str, points: list[StorePoint]) -> int:
        return self._call("upsert", name, points)

    def delete_documents(self, name: str, document_ids: list[str]) -> int:
        return self._call("delete_documents", name, document_ids)

    def search(self, name: str, query: StoreQuery) -> list[StoreHit]:
        return self._call("search", name, query)

    def retrieve(self, name: str, query: StoreQuery) -> Retrieved:
        return self._call("retrieve", name, query)

    def optimize(self, name: str) -> bool:
        return self._call("optimize", name)

    def snapshot(self, name: str, dest: str) -> int:
        return self._call("snapshot", name, dest)

    def close(self) -> None:
        if self._alive():
            with self._lock:
                try:
                    self._conn.send((_STOP, ()))
                    if self._conn.poll(120):  # it flushes every shard first
                        self._conn.recv()
                except (EOFError, OSError):
                    pass
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                log.warning("vector store process %s did not stop; killing it", self._proc.pid)
                self._proc.kill()
                self._proc.wait(5)
        self._conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Semantik's embedded vector store process.")
    parser.add_argument("--root", required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--search-threads", type=int)
    args = parser.parse_args()
    # The parent decides when this process ends (stop message, or EOF when it dies): a SIGTERM
    # sent to the whole service must not kill it before it has flushed and closed the shards.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _serve(Connection(args.fd), args.root, args.search_threads)
    os._exit(0)  # skip interpreter teardown of the native engine's threads


if __name__ == "__main__":
    main()
