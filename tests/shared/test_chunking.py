"""Token-aware chunking on the real model's tokenizer."""

from __future__ import annotations

import pytest
from semantik.shared.chunking import Chunker, chunk_id, document_id, load_tokenizer


@pytest.fixture(scope="module")
def tokenizer(model_dir):
    return load_tokenizer((model_dir / "tokenizer.json").read_text())


TEXT = (
    "Honeybees live in colonies. Worker bees collect nectar and pollen from flowers; as they move "
    "between blossoms they carry pollen grains that fertilise the plants. Ünïcödé wörds and "
    "emoji 🐝 must keep their offsets. " * 12
)


def test_chunks_are_exact_spans_of_at_most_n_tokens_with_overlap(tokenizer):
    chunker = Chunker(tokenizer, chunk_tokens=40, overlap_tokens=10)
    chunks = chunker.chunk(TEXT, "doc")
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text == TEXT[chunk.start : chunk.end]
        tokens = tokenizer.encode(chunk.text, add_special_tokens=False)
        assert len(tokens.ids) <= 40
        assert chunk.tokens <= 40
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert current.start < previous.end  # overlap
        shared = TEXT[current.start : previous.end]
        assert len(tokenizer.encode(shared, add_special_tokens=False).ids) == 10
    assert chunks[0].start == 0 and chunks[-1].end == len(TEXT.rstrip())
    # The model never truncates: the served model takes 256 word pieces + [CLS]/[SEP].
    assert all(c.tokens + 2 <= 256 for c in Chunker(tokenizer, 200, 32).chunk(TEXT * 3, "d"))


def test_ids_are_deterministic_and_unique(tokenizer):
    chunker = Chunker(tokenizer, chunk_tokens=32, overlap_tokens=4)
    first = chunker.chunk(TEXT, document_id("c", "a/b.txt"))
    second = chunker.chunk(TEXT, document_id("c", "a/b.txt"))
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert first[3].id == chunk_id(document_id("c", "a/b.txt"), 3)
    assert document_id("c", "a/b.txt") != document_id("c", "a/c.txt")
    assert document_id("c", "a/b.txt") != document_id("d", "a/b.txt")


def test_short_and_empty_text(tokenizer):
    chunker = Chunker(tokenizer, chunk_tokens=64, overlap_tokens=8)
    [only] = chunker.chunk("  Just one line.  ", "d")
    assert only.text == "Just one line." and only.index == 0
    assert chunker.chunk("", "d") == [] and chunker.chunk(" \n\t ", "d") == []


def test_bad_settings_are_refused(tokenizer):
    with pytest.raises(ValueError, match="smaller than chunk_tokens"):
        Chunker(tokenizer, 16, 16)
    with pytest.raises(ValueError, match="at least 1"):
        Chunker(tokenizer, 0, 0)
