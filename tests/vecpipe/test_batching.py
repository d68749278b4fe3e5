"""The batching queue really merges concurrent requests (counted, not timed)."""

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


async def test_queued_requests_merge_by_kind(embedder):
    batcher = EmbedBatcher(embedder, batch_size=4, wait_ms=50)
    await batcher.start()
    try:
        jobs = [batcher.embed([f"p{i}", f"q{i}"], "passage") for i in range(4)]
        jobs.append(batcher.embed(["a query"], "query"))
        results = await asyncio.gather(*jobs)
    finally:
        await batcher.stop()
    assert [r.shape for r in results] == [(2, 384)] * 4 + [(1, 384)]
    # All five were queued together: one model call for the 8 passages, one for the query
    # (queries and passages are never mixed: some models prefix them differently).
    assert batcher.stats.batches == 2
    assert batcher.stats.texts == 9


async def test_one_model_call_takes_at_most_max_texts(embedder):
    batcher = EmbedBatcher(embedder, batch_size=1, wait_ms=50)
    assert batcher.max_texts == 8
    await batcher.start()
    try:
        await asyncio.gather(*(batcher.embed([f"a{i}", f"b{i}"], "passage") for i in range(6)))
    finally:
        await batcher.stop()
    assert batcher.stats.texts == 12
    assert batcher.stats.batches >= 2


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
