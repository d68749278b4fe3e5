"""Gathering concurrent embedding requests into shared model batches.

Each request enqueues its texts and awaits a future. One worker takes the first waiting request,
then keeps collecting others for up to ``wait_ms`` (or until ``batch_size`` texts) and runs the
model once for all of them in a worker thread, so the event loop stays free while it computes.
Queries and passages are batched separately (some models prefix them differently).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from semantik.shared.embedding import Embedder
from semantik.shared.metrics import VecpipeMetrics

log = logging.getLogger(__name__)


@dataclass
class _Job:
    texts: list[str]
    kind: str
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


@dataclass
class BatchStats:
    batches: int = 0
    requests: int = 0
    texts: int = 0
    largest_batch_requests: int = 0


class EmbedBatcher:
    def __init__(
        self,
        embedder: Embedder,
        batch_size: int,
        wait_ms: float,
        metrics: VecpipeMetrics | None = None,
    ) -> None:
        self.embedder = embedder
        self.batch_size = batch_size
        self.wait_s = wait_ms / 1000.0
        # Already-queued requests merged into one model call: a few batches' worth, so that one
        # call stays short enough not to hold up a query that arrives meanwhile for long.
        self.max_texts = batch_size * 8
        self.metrics = metrics
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None
        # One model thread: the model is the bottleneck and torch parallelises inside a batch.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semantik-embed")

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="semantik-embed-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._queue is not None:
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if not job.future.done():
                    job.future.set_exception(RuntimeError("vecpipe is shutting down"))
        self._executor.shutdown(wait=True)

    async def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        if self._queue is None:
            raise RuntimeError("the embedding queue is not running")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(list(texts), kind, future))
        return await future

    async def _collect(self, first: _Job) -> list[_Job]:
        """The first job plus others: wait up to wait_ms while the batch is smaller than
        batch_size, then also take whatever is already queued, up to max_texts. Handing the
        model several requests at once lets it sort all their texts by length (less padding)."""
        jobs = [first]
        total = len(first.texts)
        deadline = time.perf_counter() + self.wait_s
        while total < self.max_texts:
            remaining = deadline - time.perf_counter()
            try:
                if total < self.batch_size and remaining > 0:
                    job = await asyncio.wait_for(self._queue.get(), remaining)
                else:
                    job = self._queue.get_nowait()
            except (TimeoutError, asyncio.QueueEmpty):
                break
            jobs.append(job)
            total += len(job.texts)
        return jobs

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._queue.get()
            jobs = await self._collect(first)
            for kind in ("query", "passage"):
                group = [j for j in jobs if j.kind == kind and not j.future.cancelled()]
                if group:
                    await self._encode_group(loop, kind, group)

    async def _encode_group(self, loop, kind: str, group: list[_Job]) -> None:
        texts = [t for job in group for t in job.texts]
        start = time.perf_counter()
        try:
            vectors = await loop.run_in_executor(self._executor, self.embedder.encode, texts, kind)
        except Exception as exc:  # each waiting request gets the error, the worker lives on
            log.exception("embedding a batch of %d texts failed", len(texts))
            for job in group:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        elapsed = time.perf_counter() - start
        self.stats.batches += 1
        self.stats.requests += len(group)
        self.stats.texts += len(texts)
        self.stats.largest_batch_requests = max(self.stats.largest_batch_requests, len(group))
        if self.metrics is not None:
            self.metrics.embed_batches.inc()
            self.metrics.embed_batch_size.observe(len(texts))
            self.metrics.embed_batch_requests.observe(len(group))
            self.metrics.embed_seconds.observe(elapsed)
            self.metrics.texts_embedded.labels(kind).inc(len(texts))
        offset = 0
        for job in group:
            n = len(job.texts)
            if not job.future.done():
                job.future.set_result(vectors[offset : offset + n])
            offset += n
