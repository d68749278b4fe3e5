"""The embedded store (qdrant-edge) directly and through its child process, with real
embeddings and real BM25 vectors."""

from __future__ import annotations

import os
import signal
import tarfile
import threading
import time

import numpy as np
import pytest
from semantik.shared.passages import SENTENCE_FIELDS, pack_vectors, sentence_spans
from semantik.shared.vectorstore import (
    CollectionExistsError,
    CollectionNotFoundError,
    PointFilter,
    StorePoint,
    StoreQuery,
    StoreUnavailableError,
    open_edge_store,
    point_id,
)
from semantik.shared.vectorstore.base import Retrieved
from semantik.shared.vectorstore.bm25 import Bm25Encoder
from semantik.shared.vectorstore.edge import EdgeStore
from semantik.shared.vectorstore.process import StoreProcess

CORPUS = [
    ("garden/tomatoes.txt", "Tomato plants need full sun, deep watering and a sturdy cage."),
    ("garden/roses.txt", "Prune roses in late winter and feed them after the first bloom."),
    ("finance/budget.txt", "A monthly budget tracks income, rent, groceries and savings."),
    ("finance/taxes.txt", "File the income tax return before the April deadline."),
    ("code/rust.txt", "Rust's borrow checker prevents data races at compile time."),
    ("code/sql.txt", "An SQL index speeds up lookups but slows down inserts."),
]


@pytest.fixture(scope="module")
def corpus_points(embedder):
    bm25 = Bm25Encoder()
    vectors = embedder.encode([text for _, text in CORPUS])
    return [
        StorePoint(
            id=point_id(f"{path}#0"),
            dense=vec.tolist(),
            sparse=bm25.document(text),
            payload={"chunk_id": f"{path}#0", "document_id": path, "path": path, "text": text},
        )
        for (path, text), vec in zip(CORPUS, vectors, strict=True)
    ]


@pytest.fixture(params=["in-process", "child-process"])
def store(request, tmp_path):
    if request.param == "in-process":
        s = EdgeStore(tmp_path / "vectors")
    else:
        s = StoreProcess(str(tmp_path / "vectors"))
    yield s
    s.close()


def query(embedder, text: str, mode: str, **kw) -> StoreQuery:
    return StoreQuery(
        mode=mode,
        k=kw.pop("k", 3),
        dense=embedder.encode([text], "query")[0].tolist() if mode != "keyword" else None,
        sparse=Bm25Encoder().query(text) if mode != "dense" else None,
        **kw,
    )


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        ("dense", "how do I look after my vegetable garden", "garden/tomatoes.txt"),
        ("keyword", "borrow checker", "code/rust.txt"),
        ("hybrid", "when is the tax deadline", "finance/taxes.txt"),
    ],
)
def test_each_mode_finds_the_right_document(store, corpus_points, embedder, mode, text, expected):
    store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    hits = store.search("c", query(embedder, text, mode))
    assert hits[0].payload["path"] == expected
    assert hits[0].id == point_id(f"{expected}#0")


def test_filters(store, corpus_points, embedder):
    store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    q = query(embedder, "money", "hybrid", k=10, filter=PointFilter(path_prefix="garden/"))
    assert {h.payload["path"] for h in store.search("c", q)} == {
        "garden/tomatoes.txt",
        "garden/roses.txt",
    }
    q = query(embedder, "money", "dense", k=10, filter=PointFilter(document_ids=["code/sql.txt"]))
    assert [h.payload["path"] for h in store.search("c", q)] == ["code/sql.txt"]
    q = query(embedder, "money", "keyword", filter=PointFilter(paths=["code/rust.txt"]))
    assert store.search("c", q) == []  # the only allowed doc does not contain the word


def test_retrieve_explains_the_hits_both_ways(store, corpus_points, embedder):
    """One call (one round trip to the child process): the hybrid hits, each one's cosine
    similarity, and a BM25 score only where it shares a word with the query."""
    store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    q = query(embedder, "when is the income tax deadline", "hybrid", k=10, explain=True)
    found = store.retrieve("c", q)
    hits, dense, keyword = found.hits, found.dense_scores, found.keyword_scores
    assert [h.id for h in hits] == [h.id for h in store.search("c", q)]
    by_dense = store.search("c", query(embedder, "when is the income tax deadline", "dense", k=10))
    assert dense == pytest.approx({h.id: h.score for h in by_dense}, abs=1e-4)
    words = {point_id(f"{path}#0") for path in ("finance/taxes.txt", "finance/budget.txt")}
    assert set(keyword) == words  # "income", "tax", "deadline": nowhere else
    assert keyword[point_id("finance/taxes.txt#0")] > keyword[point_id("finance/budget.txt#0")]
    assert store.retrieve("c", query(embedder, "zzz", "keyword", explain=True)) == Retrieved([])
    plain = store.retrieve("c", query(embedder, "when is the income tax deadline", "hybrid"))
    assert (plain.dense_scores, plain.keyword_scores) == ({}, {})  # only asked for


def test_retrieve_answers_from_stored_sentences_and_keeps_them(store, embedder):
    """The answer passages of each document's best chunks come back; the sentence vectors they
    were computed from (~10 KiB a chunk) do not."""
    bees = [
        "Honeybees live in colonies. A forager shows where food is with the waggle dance.",
        "Bees make honey from nectar. Drones do not collect nectar at all.",
        "Wax comes from glands of young workers. The waggle dance points towards the sun.",
    ]
    vectors = embedder.encode(bees)
    points = []
    for i, text in enumerate(bees):
        spans = sentence_spans(text)
        sentences = embedder.encode([text[a:b] for a, b in spans])
        points.append(StorePoint(
            id=point_id(f"bees.txt#{i}"), dense=vectors[i].tolist(),
            sparse=Bm25Encoder().document(text),
            payload={"document_id": "bees.txt", "text": text, "sentences": spans,
                     "sentence_vectors": pack_vectors(sentences)},
        ))
    store.create_collection("c", "m", 384)
    store.upsert("c", points)
    # As vecpipe asks: the sentence fields left out of the hits, read by the store to answer.
    found = store.retrieve("c", query(embedder, "how do bees say where flowers are", "dense",
                                      k=3, answer_chunks=2, without=SENTENCE_FIELDS))
    assert len(found.hits) == 3
    assert all(set(SENTENCE_FIELDS).isdisjoint(h.payload) for h in found.hits)
    first, second, third = found.answers
    text = found.hits[0].payload["text"]
    assert "waggle dance" in text[first[0] : first[1]], (text, first)
    assert second is not None and third is None  # two chunks per document are answered


def test_score_threshold(store, corpus_points, embedder):
    store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    everything = store.search("c", query(embedder, "pruning roses", "dense", k=10))
    assert len(everything) == len(CORPUS)
    floor = (everything[0].score + everything[1].score) / 2
    strict = store.search("c", query(embedder, "pruning roses", "dense", score_threshold=floor))
    assert [h.payload["path"] for h in strict] == ["garden/roses.txt"]


def test_delete_documents_and_collections(store, corpus_points):
    store.create_collection("c", "m", 384)
    with pytest.raises(CollectionExistsError):
        store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    assert store.delete_documents("c", ["code/rust.txt", "code/sql.txt", "nope"]) == 2
    assert store.get_collection("c").points_count == len(CORPUS) - 2
    assert store.delete_documents("c", ["code/rust.txt"]) == 0
    store.delete_collection("c")
    with pytest.raises(CollectionNotFoundError):
        store.get_collection("c")
    with pytest.raises(CollectionNotFoundError):
        store.search("c", StoreQuery(mode="dense", k=1, dense=[0.0] * 384))
    assert store.list_collections() == []


def test_wrong_dimension_is_refused(store):
    store.create_collection("c", "m", 384)
    bad = StorePoint(point_id("x"), [0.1] * 10, Bm25Encoder().document("x"), {})
    with pytest.raises(ValueError, match="10 dims"):
        store.upsert("c", [bad])


def test_optimize_marks_indexed_and_data_survives_reopen(tmp_path, corpus_points, embedder):
    root = tmp_path / "vectors"
    store = EdgeStore(root)
    store.create_collection("c", "model-x", 384)
    store.upsert("c", corpus_points)
    assert store.get_collection("c").indexed is False
    store.close()
    store = EdgeStore(root)  # "not indexed yet" survives a restart
    assert store.get_collection("c").indexed is False
    store.optimize("c")
    state = store.get_collection("c")
    assert state.indexed is True and state.points_count == len(CORPUS)
    store.close()
    again = EdgeStore(root)
    try:
        state = again.get_collection("c")
        assert (state.model, state.dimension, state.points_count) == ("model-x", 384, len(CORPUS))
        hits = again.search("c", query(embedder, "SQL index", "hybrid"))
        assert hits[0].payload["path"] == "code/sql.txt"
    finally:
        again.close()


def test_a_second_opener_gets_a_clear_message(tmp_path, corpus_points):
    root = tmp_path / "vectors"
    first = StoreProcess(str(root))
    try:
        first.create_collection("c", "m", 384)
        with pytest.raises(StoreUnavailableError, match="one vecpipe process"):
            open_edge_store(str(root))
        with pytest.raises(StoreUnavailableError, match="one vecpipe process"):
            StoreProcess(str(root))
    finally:
        first.close()


def test_snapshot_is_a_loadable_tar(store, tmp_path, corpus_points, embedder):
    store.create_collection("c", "m", 384)
    store.upsert("c", corpus_points)
    dest = tmp_path / "c.tar"
    assert store.snapshot("c", str(dest)) == len(CORPUS)
    # The store keeps serving after the snapshot (the shard was reopened).
    store.upsert("c", corpus_points[:1])
    assert store.get_collection("c").points_count == len(CORPUS)
    restored = tmp_path / "restored"
    with tarfile.open(dest) as tar:
        names = tar.getnames()
        tar.extractall(restored / "c", filter="data")
    assert "collection.json" in names and any(n.startswith("shard/") for n in names)
    copy = EdgeStore(restored)
    try:
        assert copy.get_collection("c").points_count == len(CORPUS)
        hits = copy.search("c", query(embedder, "compile time safety", "dense"))
        assert hits[0].payload["path"] == "code/rust.txt"
    finally:
        copy.close()


def search_pool_threads(pid: int) -> int:
    """Threads of the engine's search pools in process ``pid`` (qdrant-edge names them)."""
    tasks = f"/proc/{pid}/task"
    count = 0
    for task in os.listdir(tasks):
        try:
            with open(f"{tasks}/{task}/comm") as comm:
                count += comm.read().startswith("edge-search-")
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return count


def test_search_pool_size_is_set_on_create_and_on_reopen(tmp_path, corpus_points, embedder):
    # The engine's default pool per shard is sized from the CPU count; vecpipe asks for its own.
    root = str(tmp_path / "vectors")
    for threads in (1, 3):
        store = StoreProcess(root, search_threads=threads)
        try:
            if threads == 1:
                store.create_collection("c", "m", 384)
                store.create_collection("d", "m", 384)
                store.upsert("c", corpus_points)
            hits = store.search("c", query(embedder, "compile time safety", "hybrid"))
            assert hits[0].payload["path"] == "code/rust.txt"
            assert search_pool_threads(store.pid) == 2 * threads  # collections c and d
        finally:
            store.close()


def test_child_process_outlives_sigterm_until_told_to_stop(tmp_path):
    # systemd signals the whole unit; the child must flush and close only when vecpipe says so.
    store = StoreProcess(str(tmp_path / "vectors"))
    try:
        store.create_collection("c", "m", 384)
        os.kill(store.pid, signal.SIGTERM)
        assert store.get_collection("c").name == "c"
    finally:
        store.close()
    assert store._proc.returncode == 0


def test_child_process_exit_is_reported(tmp_path):
    store = StoreProcess(str(tmp_path / "vectors"))
    store.ping()
    store._proc.kill()
    store._proc.wait()
    with pytest.raises(StoreUnavailableError):
        store.ping()
    with pytest.raises(StoreUnavailableError):
        store.list_collections()
    store.close()


def test_point_ids_are_deterministic_uuids():
    assert point_id("a.txt#0") == point_id("a.txt#0") != point_id("a.txt#1")
    assert len(point_id("x")) == 36


def test_bm25_vectors_are_sparse_and_stemmed():
    bm25 = Bm25Encoder()
    doc = bm25.document("Running runners run quickly")
    q = bm25.query("run")
    assert len(doc.indices) == len(doc.values) > 0
    assert set(q.indices) <= set(doc.indices)  # stemming maps run/running to one token
    assert np.all(np.array(doc.values) > 0)


@pytest.mark.slow
def test_index_build_in_the_child_leaves_this_process_free(tmp_path):
    """Why the store runs in a child: qdrant-edge keeps the GIL through optimize(), which in
    vecpipe's own process would stall every thread (event loop, health checks) until it ends."""
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((8000, 384)).astype(np.float32)
    store = StoreProcess(str(tmp_path / "vectors"))
    try:
        store.create_collection("big", "m", 384)
        sparse = Bm25Encoder().document("x")
        for i in range(0, len(vectors), 2000):
            store.upsert(
                "big",
                [
                    StorePoint(point_id(str(j)), vectors[j].tolist(), sparse, {})
                    for j in range(i, i + 2000)
                ],
            )
        build = threading.Thread(target=store.optimize, args=("big",))
        build.start()
        ticks, busy_seen = 0, 0.0
        while build.is_alive():
            time.sleep(0.01)
            store.ping()  # answered without waiting for the build
            busy_seen = max(busy_seen, store.busy_seconds())
            ticks += 1
        build.join()
        # This thread kept running throughout a build that took a visible time.
        assert busy_seen > 0.2 and ticks > 10
        state = store.get_collection("big")
        assert state.indexed and state.points_count == 8000
    finally:
        store.close()
