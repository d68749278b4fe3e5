"""Index builds for embedded collections, off the request path.

``optimize()`` flushes a shard and builds its HNSW index; it blocks for seconds to minutes. It runs
in one background thread per collection at most; a request for a collection already being built
is coalesced into one more run afterwards (points may have arrived meanwhile).
"""

from __future__ import annotations

import logging
import threading
import time

from semantik.shared.metrics import VecpipeMetrics
from semantik.shared.vectorstore import CollectionNotFoundError, VectorStore

log = logging.getLogger(__name__)


class IndexBuilder:
    def __init__(self, store: VectorStore, metrics: VecpipeMetrics | None = None) -> None:
        self.store = store
        self.metrics = metrics
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._again: set[str] = set()
        self._stopping = False

    def request(self, name: str) -> bool:
        """Schedule a build; False when one is already running (it will run once more)."""
        with self._lock:
            if self._stopping:
                return False
            if name in self._running:
                self._again.add(name)
                return False
            thread = threading.Thread(
                target=self._build, args=(name,), name=f"semantik-optimize-{name}", daemon=True
            )
            self._running[name] = thread
            thread.start()
            return True

    def is_running(self, name: str) -> bool:
        with self._lock:
            return name in self._running

    def _build(self, name: str) -> None:
        while True:
            start = time.perf_counter()
            result = "ok"
            try:
                self.store.optimize(name)
            except CollectionNotFoundError:
                result = "gone"
            except Exception:
                result = "error"
                log.exception("building the index of collection %s failed", name)
            elapsed = time.perf_counter() - start
            if self.metrics is not None:
                self.metrics.optimize_runs.labels(result).inc()
                self.metrics.optimize_seconds.observe(elapsed)
            log.info("index build of %s: %s in %.1f s", name, result, elapsed)
            with self._lock:
                if name in self._again and not self._stopping and result == "ok":
                    self._again.discard(name)
                    continue
                self._again.discard(name)
                del self._running[name]
                return

    def wait(self, timeout: float | None = None) -> None:
        """Wait for running builds (tests, shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                threads = list(self._running.values())
            if not threads:
                return
            for thread in threads:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
            if deadline is not None and time.monotonic() >= deadline:
                return

    def stop(self, timeout: float = 120.0) -> None:
        with self._lock:
            self._stopping = True
        self.wait(timeout)
