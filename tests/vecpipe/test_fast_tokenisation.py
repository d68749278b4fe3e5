"""Embedder's Rust-tokenizer path against SentenceTransformer.encode with the real model: the
vectors must be the same (float32 on CPU) for passages, prefixed queries, truncated long texts,
and the sentence vectors pooled from one pass must be those of transformers' tokenizer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from semantik.shared.embedding import Embedder
from semantik.shared.embedding.embedder import _pool_spans, cpu_supports_bf16, l2_normalise

from tests.conftest import TEST_MODEL

# Mixed lengths and more texts than one batch, so sorting and per-batch padding are exercised.
PASSAGES = [
    "The quick brown fox jumps over the lazy dog.",
    "  Leading and trailing spaces  ",
    "x",
    "",
    "Ünïcode, café and naïve façades — with dashes… and emoji 🙂.",
    "Sourdough needs a long, slow rise; " * 12,
] + [f"Chunk {n}: invoices are paid within {n} days of receipt." for n in range(40)]


def reference(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """What Embedder.encode returned before: SentenceTransformer.encode, then unit length."""
    vectors = embedder._model.encode(
        texts, batch_size=embedder.batch_size, convert_to_numpy=True,
        normalize_embeddings=False, show_progress_bar=False,
    )
    return l2_normalise(np.asarray(vectors, dtype=np.float32))


@pytest.fixture
def small_batches(embedder: Embedder) -> Embedder:
    return Embedder(embedder._model, embedder.info, batch_size=8)


def test_passages_match_sentence_transformers(small_batches: Embedder):
    assert small_batches._tokenizer is not None  # the fast path is the one under test
    np.testing.assert_allclose(
        small_batches.encode(PASSAGES), reference(small_batches, PASSAGES), atol=1e-5
    )


def test_prefixed_queries_match_sentence_transformers(embedder: Embedder):
    prefixed = Embedder(
        embedder._model,
        replace(
            embedder.info,
            spec=replace(embedder.info.spec, query_prefix="query: ", passage_prefix="passage: "),
        ),
        batch_size=4,
    )
    queries = ["when are invoices paid", "sourdough rise time", "café opening hours"]
    np.testing.assert_allclose(
        prefixed.encode(queries, "query"),
        reference(embedder, ["query: " + q for q in queries]),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        prefixed.encode(PASSAGES, "passage"),
        reference(embedder, ["passage: " + p for p in PASSAGES]),
        atol=1e-5,
    )


def test_long_texts_are_truncated_as_before(embedder: Embedder):
    head = " ".join(f"word{n}" for n in range(400))  # far beyond 256 tokens
    texts = [head, head + " and a different ending", "short text"]
    vectors = embedder.encode(texts)
    np.testing.assert_allclose(vectors, reference(embedder, texts), atol=1e-5)
    # Everything past max_seq_length is cut: the two long texts embed identically.
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)


def test_empty_list(embedder: Embedder):
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.encode([], "query").dtype == np.float32
    vectors, pooled = embedder.encode_with_sentences([], [])
    assert vectors.shape == (0, 384) and pooled == []


def test_sentence_vectors_match_transformers_tokenizer(small_batches: Embedder):
    """encode_with_sentences pooled with transformers' tokenizer and offsets before; the Rust
    tokenizer's ids and offsets must give the same vectors."""
    import torch

    texts = [
        "Invoices are paid in 30 days. Late fees are 2%. Ask finance.",
        "One sentence only",
        "Sourdough needs a long, slow rise. " * 40 + "This sentence is cut off.",
    ] + PASSAGES[:10]
    spans = []
    for text in texts:
        cuts, at = [], 0
        for part in text.split(". "):
            cuts.append((at, at + len(part)))
            at += len(part) + 2
        spans.append(cuts)

    vectors, pooled = small_batches.encode_with_sentences(texts, spans)
    np.testing.assert_allclose(vectors, reference(small_batches, texts), atol=1e-5)

    model = small_batches._model
    with torch.inference_mode():
        for i, text in enumerate(texts):
            features = model.tokenizer(
                [text], padding=True, truncation=True, max_length=model.max_seq_length,
                return_tensors="pt", return_offsets_mapping=True,
            )
            offsets = features.pop("offset_mapping").numpy()
            out = model.forward(dict(features))
            tokens = out["token_embeddings"].float().numpy()
            mask = features["attention_mask"].numpy() > 0
            before = l2_normalise(_pool_spans(tokens[0], offsets[0], mask[0], spans[i], 0))
            np.testing.assert_allclose(pooled[i], before, atol=1e-5)
    assert not pooled[2][-1].any()  # the span past the length limit has no tokens: zero vector


def test_without_a_fast_tokenizer_sentence_transformers_encodes(embedder: Embedder):
    slow = Embedder(embedder._model, embedder.info, batch_size=8)
    slow._tokenizer = None  # as for a model whose tokenizer has no Rust backend
    np.testing.assert_allclose(slow.encode(PASSAGES), embedder.encode(PASSAGES), atol=1e-5)
    with pytest.raises(RuntimeError, match="no fast tokenizer"):
        slow.encode_with_sentences(["a. b"], [[(0, 1)]])


@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no bfloat16 support")
def test_bf16_autocast_matches_sentence_transformers(model_dir):
    bf16 = Embedder.load(TEST_MODEL, path=model_dir, device="cpu", precision="bfloat16")
    with bf16._autocast():
        before = reference(bf16, PASSAGES)
    cosines = (bf16.encode(PASSAGES) * before).sum(axis=1)
    assert cosines.min() > 0.999, cosines
