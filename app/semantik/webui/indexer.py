"""Indexing jobs: scan a collection's source, extract and chunk what changed, send it to vecpipe.

Incremental by content: a file whose size and mtime are unchanged is skipped without reading it; a
file whose bytes hash the same as last time is skipped too; changed files replace their chunks;
files gone from disk are removed from the index. One file's failure is recorded on that file and
never fails the job. Extraction, hashing and chunking run in worker threads.

One :class:`JobRunner` per webui process takes queued jobs from the database (claims are atomic,
so several workers or a headless ``semantik index --wait`` never run the same job twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import Tokenizer

from semantik.shared.chunking import Chunker, document_id, load_tokenizer
from semantik.shared.extraction import ExtractionError, UnsupportedDocument, extract, is_supported
from semantik.shared.schemas import ChunkIn
from semantik.shared.settings import Settings
from semantik.webui import catalog
from semantik.webui.db import connect, now
from semantik.webui.errors import Conflict, SemantikError, UpstreamUnavailable
from semantik.webui.metrics import WebuiMetrics
from semantik.webui.vecpipe_client import VecpipeClient

log = logging.getLogger("semantik.webui.indexer")


@dataclass
class FoundFile:
    relative: str
    path: Path
    size: int
    mtime: float
    problem: str | None = None  # e.g. a symlink that leaves the documents root


@dataclass
class Prepared:
    found: FoundFile
    document_id: str
    sha256: str | None = None
    chunks: list[ChunkIn] = field(default_factory=list)
    status: str = "indexed"  # indexed | unchanged | error | unsupported
    error: str | None = None
    title: str | None = None


class JobCancelled(Exception):
    pass


def scan_source(documents_root: Path, source: Path) -> list[FoundFile]:
    """Every regular file under ``source`` (hidden entries skipped), with symlinks that leave the
    documents root reported instead of followed."""
    root = documents_root.resolve()
    found: list[FoundFile] = []
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            relative = path.relative_to(source).as_posix()
            resolved = path.resolve()
            if root not in resolved.parents:
                found.append(
                    FoundFile(relative, path, 0, 0.0, "symlink points outside the documents root")
                )
                continue
            try:
                stat = resolved.stat()
            except OSError as exc:
                found.append(FoundFile(relative, path, 0, 0.0, f"cannot stat: {exc.strerror}"))
                continue
            if not resolved.is_file():
                continue
            found.append(FoundFile(relative, resolved, stat.st_size, stat.st_mtime))
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Indexer:
    """Runs one job at a time against a vecpipe client; reusable across jobs."""

    def __init__(
        self, settings: Settings, vecpipe: VecpipeClient, metrics: WebuiMetrics | None = None
    ) -> None:
        self.settings = settings
        self.vecpipe = vecpipe
        self.metrics = metrics  # None in the CLI: a one-shot process has no /metrics
        self._executor = ThreadPoolExecutor(
            settings.extraction_workers, thread_name_prefix="semantik-extract"
        )
        self._tokenizers: dict[str, Tokenizer] = {}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def tokenizer(self, model: str) -> Tokenizer:
        if model not in self._tokenizers:
            self._tokenizers[model] = load_tokenizer(await self.vecpipe.tokenizer_json())
        return self._tokenizers[model]

    async def _in_thread(self, fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _prepare(
        self, collection: catalog.Collection, found: FoundFile, previous: sqlite3.Row | None,
        chunker: Chunker,
    ) -> Prepared:
        doc_id = document_id(collection.name, found.relative)
        item = Prepared(found, doc_id)
        if found.problem:
            item.status, item.error = "error", found.problem
            return item
        unchanged_meta = (
            previous is not None
            and previous["size"] == found.size
            and previous["mtime"] == found.mtime
            and previous["status"] in ("indexed", "unsupported")
        )
        if unchanged_meta:
            item.status, item.sha256 = "unchanged", previous["sha256"]  # type: ignore[index]
            item.title = self._missing_title(found, previous)
            return item
        if not is_supported(found.path):
            try:
                extract(found.path)  # raises with the reason we record
            except UnsupportedDocument as exc:
                item.status, item.error = "unsupported", str(exc)
            return item
        try:
            item.sha256 = sha256_file(found.path)
        except OSError as exc:
            item.status, item.error = "error", f"cannot read: {exc.strerror or exc}"
            return item
        if previous is not None and previous["status"] == "indexed" and (
            previous["sha256"] == item.sha256
        ):
            item.status = "unchanged"  # touched but not modified
            item.title = self._missing_title(found, previous)
            return item
        try:
            document = extract(found.path, self.settings.max_file_bytes)
        except UnsupportedDocument as exc:
            item.status, item.error = "unsupported", str(exc)
            return item
        except ExtractionError as exc:
            item.status, item.error = "error", str(exc)
            return item
        except Exception as exc:  # a parser bug on one odd file must not end the job
            log.warning("extraction crashed on %s: %r", found.relative, exc)
            item.status, item.error = "error", f"extraction failed: {exc!r}"
            return item
        item.title = document.title
        relative_to_root = found.relative if not collection.source else (
            f"{collection.source}/{found.relative}"
        )
        context = f"{document.title}\n{relative_to_root}" if document.title else relative_to_root
        item.chunks = [
            ChunkIn(
                id=chunk.id, document_id=doc_id, path=relative_to_root,
                chunk_index=chunk.index, text=chunk.text, start=chunk.start, end=chunk.end,
                context=context[:2000],
            )
            for chunk in chunker.chunk(document.text, doc_id)
        ]
        if not item.chunks:
            item.status, item.error = "error", "no text found in the document"
        return item

    def _missing_title(self, found: FoundFile, previous: sqlite3.Row | None) -> str | None:
        """The title of an unchanged file indexed before titles were stored (read once, not
        embedded again); None when it has one already."""
        if previous is None or previous["status"] != "indexed" or previous["title"] is not None:
            return None
        try:
            return extract(found.path, self.settings.max_file_bytes).title or ""
        except Exception:  # it indexed before; a title is not worth failing it now
            return ""

    async def run(self, job_id: int) -> sqlite3.Row:
        """Run a job already marked running; records the outcome on the job row and returns it."""
        conn = connect(self.settings.database_path)
        try:
            try:
                await self._run(conn, job_id)
                status, error = "succeeded", None
            except JobCancelled:
                status, error = "cancelled", None
            except asyncio.CancelledError:
                # Shutdown in the middle of a job: say so now rather than at the next start.
                conn.execute(
                    "UPDATE jobs SET status = 'interrupted', finished_at = ?, current_path = NULL, "
                    "error = 'interrupted by a shutdown of webui' WHERE id = ?",
                    (now(), job_id),
                )
                raise
            except SemantikError as exc:
                status, error = "failed", exc.detail
            except Exception as exc:
                log.exception("job %s failed", job_id)
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            conn.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ?, current_path = NULL "
                "WHERE id = ?",
                (status, error, now(), job_id),
            )
            job = catalog.get_job(conn, job_id)
            log.info("job %s %s: %s", job_id, status, error or "ok")
            if self.metrics:
                self.metrics.jobs_finished.labels(status).inc()
                self.metrics.job_seconds.observe(job["finished_at"] - job["started_at"])
                for outcome in ("added", "updated", "skipped", "removed", "failed", "unsupported"):
                    self.metrics.files_processed.labels(outcome).inc(job[outcome])
            return job
        finally:
            conn.close()

    async def _run(self, conn: sqlite3.Connection, job_id: int) -> None:
        job = catalog.get_job(conn, job_id)
        collection = catalog.get_collection(conn, job["collection"])
        served = await self.vecpipe.served_model()
        if served.name != collection.model:
            raise Conflict(
                f"collection {collection.name!r} uses model {collection.model!r} but vecpipe "
                f"serves {served.name!r}; serve that model or re-create the collection"
            )
        await self.vecpipe.ensure_collection(collection.name, collection.model)
        chunker = Chunker(
            await self.tokenizer(served.name), collection.chunk_tokens,
            collection.chunk_overlap_tokens,
        )
        root = self.settings.documents_root
        source = catalog.source_path(root, collection)
        if not source.is_dir():
            raise SemantikError(f"source directory {collection.source!r} no longer exists")
        found = await self._in_thread(scan_source, root, source)
        previous = catalog.file_states(conn, collection.id)
        counts = dict.fromkeys(
            ("added", "updated", "skipped", "removed", "failed", "unsupported", "chunks"), 0
        )
        conn.execute("UPDATE jobs SET files_total = ? WHERE id = ?", (len(found), job_id))

        present = {f.relative for f in found}
        gone = [path for path in previous if path not in present]
        if gone:
            stale_ids = [previous[p]["document_id"] for p in gone if previous[p]["chunk_count"]]
            if stale_ids:
                await self.vecpipe.delete_documents(collection.name, stale_ids)
            catalog.delete_file_states(conn, collection.id, gone)
            counts["removed"] = len(gone)

        window = max(1, self.settings.extraction_workers)
        done = 0
        for start in range(0, len(found), window):
            self._check_cancel(conn, job_id)
            batch = found[start : start + window]
            prepared = await asyncio.gather(
                *(
                    self._in_thread(self._prepare, collection, f, previous.get(f.relative), chunker)
                    for f in batch
                )
            )
            for item in prepared:
                await self._store(conn, collection, item, previous.get(item.found.relative), counts)
                done += 1
            conn.execute(
                "UPDATE jobs SET files_done = ?, added = ?, updated = ?, skipped = ?, removed = ?, "
                "failed = ?, unsupported = ?, chunks = ?, current_path = ? WHERE id = ?",
                (done, counts["added"], counts["updated"], counts["skipped"], counts["removed"],
                 counts["failed"], counts["unsupported"], counts["chunks"],
                 batch[-1].relative, job_id),
            )
        conn.execute(
            "UPDATE collections SET last_indexed_at = ? WHERE id = ?", (now(), collection.id)
        )
        if counts["added"] or counts["updated"] or counts["removed"]:
            try:
                await self.vecpipe.optimize(collection.name)  # vecpipe builds HNSW off-request
            except SemantikError as exc:
                log.warning("optimize of %s not started: %s", collection.name, exc.detail)

    def _check_cancel(self, conn: sqlite3.Connection, job_id: int) -> None:
        row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or row["cancel_requested"]:
            raise JobCancelled

    async def _store(
        self, conn: sqlite3.Connection, collection: catalog.Collection, item: Prepared,
        previous: sqlite3.Row | None, counts: dict[str, int],
    ) -> None:
        found = item.found
        if item.status == "unchanged":
            counts["skipped"] += 1
            if previous is not None and (
                previous["size"] != found.size or previous["mtime"] != found.mtime
                or item.title is not None
            ):
                conn.execute(
                    "UPDATE files SET size = ?, mtime = ?, title = COALESCE(?, title), "
                    "updated_at = ? WHERE id = ?",
                    (found.size, found.mtime, item.title, now(), previous["id"]),
                )
            return
        had_chunks = previous is not None and previous["chunk_count"] > 0
        chunk_count = 0
        if had_chunks:
            # Changed (or now broken) file: its old chunks must not outlive it.
            await self.vecpipe.delete_documents(collection.name, [item.document_id])
        if item.status == "indexed":
            try:
                size = self.settings.index_batch_chunks
                for i in range(0, len(item.chunks), size):
                    await self.vecpipe.upsert(collection.name, item.chunks[i : i + size])
                chunk_count = len(item.chunks)
            except UpstreamUnavailable:
                raise  # vecpipe down: every following file would fail too; fail the job
            except SemantikError as exc:
                item.status, item.error = "error", exc.detail
        if item.status == "indexed":
            counts["updated" if previous is not None else "added"] += 1
            counts["chunks"] += chunk_count
        elif item.status == "unsupported":
            counts["unsupported"] += 1
        else:
            counts["failed"] += 1
        catalog.upsert_file_state(
            conn, collection.id, found.relative, document_id=item.document_id, size=found.size,
            mtime=found.mtime, sha256=item.sha256, status=item.status, error=item.error,
            chunk_count=chunk_count, title=item.title,
        )


class JobRunner:
    """The in-process worker: waits for queued jobs and runs them one at a time."""

    def __init__(self, indexer: Indexer, poll_seconds: float = 2.0) -> None:
        self.indexer = indexer
        self.poll_seconds = poll_seconds  # also picks up jobs queued by the CLI or other workers
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="semantik-job-runner")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.indexer.close()

    async def _loop(self) -> None:
        conn = connect(self.indexer.settings.database_path)
        try:
            while True:
                job_id = catalog.claim_next_job(conn)
                if job_id is not None:
                    await self.indexer.run(job_id)
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            conn.close()
