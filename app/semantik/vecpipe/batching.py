"""Gathering concurrent embedding requests into shared model batches, without letting a big
request hold up a search.

Each request enqueues its texts and awaits a future. The worker runs the model on at most
``batch_size`` texts at a time, in a worker thread (the event loop stays free while it computes).
Before each model call it picks what to run next: queries before passages (a search is waiting
on a query), and among those, requests that have not started before the rest of a request
already under way; within those, the shortest texts of any of them (a call pads to its longest
text). A 1,024-text /embed is thus cut into batches, and a search that arrives meanwhile runs
right after the batch in progress instead of after the whole request. When the
worker is idle, the first request waits up to ``wait_ms`` for others to share its batch.
Queries and passages are never mixed in one call (some models prefix them differently).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
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
    """One request. Its texts are taken shortest first, so that each model call pads its texts
    to a similar length (the model sorts by length only within a call); ``order`` maps back."""

    texts: list[str]
    kind: str
    future: asyncio.Future
    # Per text, character spans to get vectors for too (Embedder.encode_with_sentences); None:
    # plain vectors.
    spans: list[list[tuple[int, int]]] | None = None
    enqueued: float = field(default_factory=time.perf_counter)
    done: int = 0  # texts already embedded
    parts: list[np.ndarray] = field(default_factory=list)
    span_parts: list[np.ndarray] = field(default_factory=list)
    order: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.order = np.argsort([len(t) for t in self.texts], kind="stable")
        self.texts = [self.texts[i] for i in self.order]
        if self.spans is not None:
            self.spans = [self.spans[i] for i in self.order]

    def result(self) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
        vectors = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        restored = np.empty_like(vectors)
        restored[self.order] = vectors
        if self.spans is None:
            return restored
        by_text: list[np.ndarray] = [vectors[:0]] * len(self.span_parts)
        for sorted_at, original in enumerate(self.order):
            by_text[original] = self.span_parts[sorted_at]
        return restored, by_text

    def priority(self) -> tuple[bool, bool, float]:
        return (self.kind != "query", self.done > 0, self.enqueued)


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
        self.metrics = metrics
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Job] | None = None
        self._worker: asyncio.Task | None = None
        # Requests taken off the queue and not finished yet (some maybe part-way).
        self._pending: list[_Job] = []
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
            self._take_queued(self._pending)
            for job in self._pending:
                if not job.future.done():
                    job.future.set_exception(RuntimeError("vecpipe is shutting down"))
            self._pending.clear()
        self._executor.shutdown(wait=True)

    async def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        if self._queue is None:
            raise RuntimeError("the embedding queue is not running")
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(list(texts), kind, future))
        return await future

    async def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors of ``texts`` and, from the same model pass, a vector per character
        span of each text (Embedder.encode_with_sentences)."""
        if self._queue is None:
            raise RuntimeError("the embedding queue is not running")
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32), []
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(list(texts), "passage", future, spans=list(spans)))
        return await future

    def _take_queued(self, pending: list[_Job]) -> None:
        while True:
            try:
                pending.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    async def _gather(self, pending: list[_Job]) -> None:
        """Idle worker, first request in: wait up to wait_ms for others to share its batch."""
        deadline = time.perf_counter() + self.wait_s
        while sum(len(j.texts) - j.done for j in pending) < self.batch_size:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            try:
                pending.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break

    def _next_batch(self, pending: list[_Job]) -> tuple[str, list[tuple[_Job, int, int]]]:
        """(kind, [(job, start, end)]): at most batch_size texts of one kind, by priority.

        Requests not started come before those under way (as ``_Job.priority`` orders them).
        Within each of those two groups the batch takes the oldest request's next text, then
        the shortest texts left in any of the group's requests: a model call pads every text
        to its longest, and requests of 64 texts cut alone padded 20 % more than one sort over
        all of them (docs/search.md). The oldest request moves on with every batch, so newer
        short texts never hold its long ones back for good."""
        pending.sort(key=_Job.priority)
        kind = pending[0].kind
        taken: dict[int, int] = {}  # pending index -> texts taken
        room = self.batch_size
        for started in (False, True):
            group = [
                i for i, job in enumerate(pending)
                if job.kind == kind and (job.done > 0) == started
            ]
            if not group or room == 0:
                continue
            taken[group[0]] = 1  # the oldest request's next text
            room -= 1
            # Each request's texts are sorted by length: merge their remaining heads.
            heads = [
                (len(pending[i].texts[pending[i].done + taken.get(i, 0)]), i)
                for i in group
                if pending[i].done + taken.get(i, 0) < len(pending[i].texts)
            ]
            heapq.heapify(heads)
            while heads and room > 0:
                _, i = heapq.heappop(heads)
                taken[i] = taken.get(i, 0) + 1
                room -= 1
                at = pending[i].done + taken[i]
                if at < len(pending[i].texts):
                    heapq.heappush(heads, (len(pending[i].texts[at]), i))
        pieces = [
            (job, job.done, job.done + taken[i]) for i, job in enumerate(pending) if i in taken
        ]
        return kind, pieces

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending
        while True:
            if not pending:
                pending.append(await self._queue.get())
                await self._gather(pending)
            self._take_queued(pending)
            # A caller that went away (client disconnected) needs no more batches.
            pending[:] = [j for j in pending if not j.future.done()]
            if not pending:
                continue
            kind, pieces = self._next_batch(pending)
            await self._encode(loop, kind, pieces)
            pending[:] = [j for j in pending if not j.future.done()]

    @staticmethod
    def _timed(fn, *args):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        out = fn(*args)
        return out, time.perf_counter() - began

    async def _encode(self, loop, kind: str, pieces: list[tuple[_Job, int, int]]) -> None:
        texts = [t for job, start, end in pieces for t in job.texts[start:end]]
        with_spans = any(job.spans is not None for job, _, _ in pieces)
        try:
            # Timed in the model thread: the event loop may take a while to resume this
            # coroutine, and that is not model time.
            if with_spans:  # texts of plain jobs ask for no spans: the same vectors
                spans = [s for job, start, end in pieces
                         for s in (job.spans[start:end] if job.spans is not None
                                   else [[]] * (end - start))]
                (vectors, pooled), elapsed = await loop.run_in_executor(
                    self._executor, self._timed, self.embedder.encode_with_sentences, texts, spans
                )
            else:
                vectors, elapsed = await loop.run_in_executor(
                    self._executor, self._timed, self.embedder.encode, texts, kind
                )
        except Exception as exc:  # each waiting request gets the error, the worker lives on
            log.exception("embedding a batch of %d texts failed", len(texts))
            for job, _, _ in pieces:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        self.stats.batches += 1
        self.stats.texts += len(texts)
        self.stats.largest_batch_requests = max(self.stats.largest_batch_requests, len(pieces))
        if self.metrics is not None:
            self.metrics.embed_batches.inc()
            self.metrics.embed_batch_size.observe(len(texts))
            self.metrics.embed_batch_requests.observe(len(pieces))
            self.metrics.embed_seconds.observe(elapsed)
            self.metrics.texts_embedded.labels(kind).inc(len(texts))
        offset = 0
        for job, start, end in pieces:
            job.parts.append(vectors[offset : offset + end - start])
            if job.spans is not None:
                job.span_parts.extend(pooled[offset : offset + end - start])
            offset += end - start
            job.done = end
            if job.done == len(job.texts) and not job.future.done():
                self.stats.requests += 1
                job.future.set_result(job.result())
