"""The batching queue really merges concurrent requests, cuts big ones into batches and lets a
search go ahead of the rest of a big request (counted, not timed)."""

from __future__ import annotations

import asyncio

import numpy as np
from semantik.shared.metrics import VecpipeMetrics
from semantik.vecpipe.batching import EmbedBatcher


async def test_concurrent_requests_share_one_batch(embedder):
    metrics = VecpipeMetrics()
    batcher = EmbedBatcher(embedder, batch_size=64, wait_ms=50, metrics=metrics)
    await batcher.start()
    try:
        texts = [f"request number {i} about topic {i}" for i in range(8)]
        results = await asyncio.gather(*(batcher.embed([t], "query") for t in texts))
    finally:
        await batcher.stop()
    assert batcher.stats.requests == 8
    assert batcher.stats.batches < 8
    assert batcher.stats.largest_batch_requests > 1
    # Each caller got its own vector back, identical to encoding it alone.
    alone = embedder.encode(texts, "query")
    for i, got in enumerate(results):
        np.testing.assert_allclose(got[0], alone[i], atol=1e-5)
    assert metrics.embed_batches._value.get() == batcher.stats.batches


class Recording:
    """The real embedder, with a log of (kind, number of texts) per model call."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.calls: list[tuple[str, int]] = []

    def encode(self, texts, kind="passage"):
        self.calls.append((kind, len(texts)))
        return self.embedder.encode(texts, kind)


async def test_queued_requests_merge_by_kind_queries_first(embedder):
    recording = Recording(embedder)
    batcher = EmbedBatcher(recording, batch_size=4, wait_ms=50)
    await batcher.start()
    try:
        jobs = [batcher.embed([f"p{i}", f"q{i}"], "passage") for i in range(4)]
        jobs.append(batcher.embed(["a query"], "query"))
        results = await asyncio.gather(*jobs)
    finally:
        await batcher.stop()
    assert [r.shape for r in results] == [(2, 384)] * 4 + [(1, 384)]
    # All five were queued together: the query first, then the 8 passages in batches of 4
    # (queries and passages are never mixed: some models prefix them differently).
    assert recording.calls == [("query", 1), ("passage", 4), ("passage", 4)]
    assert batcher.stats.requests == 5 and batcher.stats.texts == 9


async def test_one_model_call_takes_at_most_batch_size(embedder):
    recording = Recording(embedder)
    batcher = EmbedBatcher(recording, batch_size=3, wait_ms=50)
    await batcher.start()
    try:
        texts = [f"sentence number {i} about things" for i in range(20)]
        big = await batcher.embed(texts, "passage")
    finally:
        await batcher.stop()
    assert [n for _, n in recording.calls] == [3] * 6 + [2]
    # The pieces come back in order: the same vectors as one call for all of them.
    np.testing.assert_allclose(big, embedder.encode(texts, "passage"), atol=1e-5)


async def test_a_search_waits_at_most_one_batch_behind_a_big_request(embedder):
    recording = Recording(embedder)
    batcher = EmbedBatcher(recording, batch_size=8, wait_ms=1)
    await batcher.start()
    try:
        big = asyncio.ensure_future(
            batcher.embed([f"passage {i} on a long topic" for i in range(160)], "passage")
        )
        while batcher.stats.batches < 2:  # the big request is under way
            await asyncio.sleep(0.005)
        calls_before = len(recording.calls)
        query = await batcher.embed(["where is the lighthouse"], "query")
        assert not big.done()  # the search did not wait for the whole big request
        position = recording.calls.index(("query", 1))
        # At most the batch already on its way (recorded by now or not) ran before the search.
        assert position <= calls_before + 1
        vectors = await big
    finally:
        await batcher.stop()
    assert vectors.shape == (160, 384) and query.shape == (1, 384)
    assert len(recording.calls) == 160 // 8 + 1


async def test_a_failing_batch_fails_its_callers_only(embedder):
    batcher = EmbedBatcher(embedder, batch_size=8, wait_ms=1)
    await batcher.start()
    try:
        try:
            await batcher.embed([None], "query")  # type: ignore[list-item]
        except Exception as exc:
            failed = exc
        else:
            failed = None
        ok = await batcher.embed(["still works"], "query")
    finally:
        await batcher.stop()
    assert failed is not None
    assert ok.shape == (1, 384)


async def test_api_requests_are_merged(vecpipe_app, vecpipe_client):
    bodies = [{"texts": [f"text {i}"], "kind": "query"} for i in range(6)]
    responses = await asyncio.gather(*(vecpipe_client.post("/embed", json=b) for b in bodies))
    assert all(r.status_code == 200 for r in responses)
    stats = vecpipe_app.state.services.batcher.stats
    assert stats.requests == 6 and stats.batches < 6
    text = (await vecpipe_client.get("/metrics")).text
    assert f"semantik_embed_batches_total {float(stats.batches)}" in text
    assert 'semantik_texts_embedded_total{kind="query"} 6.0' in text


async def test_span_vectors_come_from_the_same_pass_and_plain_requests_share_it(embedder):
    """A request with sentence spans (indexing) and a plain one (a passage) share one model
    call; both get exactly the vectors ``encode`` gives, and the spans their own vectors."""
    batcher = EmbedBatcher(embedder, batch_size=64, wait_ms=50)
    long = "Bees dance to show where food is. The angle points the way. " * 3
    texts = [long, "Short text about lighthouses and their flashing pattern."]
    spans = [[(0, 33), (34, 60), (9999, 10010)], [(0, 10)]]
    await batcher.start()
    try:
        (vectors, pooled), plain = await asyncio.gather(
            batcher.embed_with_spans(texts, spans), batcher.embed(["another passage"])
        )
    finally:
        await batcher.stop()
    assert batcher.stats.batches == 1
    np.testing.assert_allclose(vectors, embedder.encode(texts), atol=1e-5)
    np.testing.assert_allclose(plain[0], embedder.encode(["another passage"])[0], atol=1e-5)
    assert [len(p) for p in pooled] == [3, 1]
    np.testing.assert_allclose(np.linalg.norm(pooled[0][:2], axis=1), 1.0, atol=1e-5)
    assert not pooled[0][2].any()  # a span past the text has no token: a zero vector
    # A sentence's pooled vector is close to that sentence embedded alone.
    alone = embedder.encode([long[0:33]])[0]
    assert float(pooled[0][0] @ alone) > 0.6


class RecordingTexts(Recording):
    """The real embedder, with a log of the texts of each model call."""

    def __init__(self, embedder) -> None:
        super().__init__(embedder)
        self.texts: list[list[str]] = []

    def encode(self, texts, kind="passage"):
        self.texts.append(list(texts))
        return super().encode(texts, kind)


async def test_batches_are_cut_by_length_across_requests_and_the_oldest_moves_on(embedder):
    recording = RecordingTexts(embedder)
    batcher = EmbedBatcher(recording, batch_size=4, wait_ms=50)
    await batcher.start()
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    # Two requests queued together, their texts of every length from 1 to 8 words, shuffled.
    first = [" ".join(words[: n + 1]) for n in (7, 0, 5, 2, 6, 1, 4, 3)]
    second = [" ".join(words[: n + 1]) + "!" for n in (3, 6, 0, 7, 2, 5, 1, 4)]
    try:
        one, two = await asyncio.gather(
            batcher.embed(first, "passage"), batcher.embed(second, "passage")
        )
    finally:
        await batcher.stop()
    lengths = [sorted(len(t.split()) for t in call) for call in recording.texts]
    # Shortest first across both requests (one request alone would be cut as 1-4, 5-8 twice).
    assert lengths == [[1, 1, 2, 2], [3, 3, 4, 4], [5, 5, 6, 6], [7, 7, 8, 8]]
    # Every call holds the oldest request's next text.
    for call, expected in zip(recording.texts, (1, 3, 5, 7), strict=True):
        assert " ".join(words[:expected]) in call
    # Each caller gets its vectors in its own order, as one call for its texts alone.
    np.testing.assert_allclose(one, embedder.encode(first, "passage"), atol=1e-5)
    np.testing.assert_allclose(two, embedder.encode(second, "passage"), atol=1e-5)


async def test_shorter_texts_of_other_requests_do_not_hold_back_the_oldest(embedder):
    recording = RecordingTexts(embedder)
    batcher = EmbedBatcher(recording, batch_size=2, wait_ms=50)
    await batcher.start()
    long_ones = [f"a long passage number {i} " + "word " * 40 for i in range(3)]
    try:
        old, *short = await asyncio.gather(
            batcher.embed(long_ones, "passage"),
            *(batcher.embed([f"short {i}", f"tiny {i}", f"small {i}", f"wee {i}"], "passage")
              for i in range(2))
        )
    finally:
        await batcher.stop()
    assert old.shape == (3, 384) and [s.shape for s in short] == [(4, 384)] * 2
    calls_with_old = [i for i, call in enumerate(recording.texts)
                      if any(t in long_ones for t in call)]
    # Shortest first alone would leave the long texts to the last two calls (of six); the
    # oldest request moves on with each call of its group instead.
    assert len(recording.texts) == 6
    assert calls_with_old == [0, 2, 3]
