"""Token-aware chunking: windows of ``chunk_tokens`` model tokens, ``overlap_tokens`` shared by
neighbours, cut on the model's own tokenizer so no chunk is truncated by the embedding model.

Chunks carry character offsets into the document text (they are exact substrings), which search
uses for snippets. Chunk ids are ``<document_id>:<index>``: deterministic, unique in a document and
(since document ids are unique in a collection) in a collection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tokenizers import Tokenizer


@dataclass(frozen=True)
class Chunk:
    id: str
    index: int
    text: str
    start: int
    end: int
    tokens: int


def document_id(collection: str, relative_path: str) -> str:
    """Stable id of a document: the same file in the same collection always gets the same id."""
    return hashlib.sha256(f"{collection}\0{relative_path}".encode()).hexdigest()[:32]


def chunk_id(doc_id: str, index: int) -> str:
    return f"{doc_id}:{index}"


def load_tokenizer(tokenizer_json: str) -> Tokenizer:
    tokenizer = Tokenizer.from_str(tokenizer_json)
    # tokenizer.json files ship with the model's truncation/padding; we need every token.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class Chunker:
    def __init__(self, tokenizer: Tokenizer, chunk_tokens: int, overlap_tokens: int) -> None:
        if chunk_tokens < 1:
            raise ValueError("chunk_tokens must be at least 1")
        if not 0 <= overlap_tokens < chunk_tokens:
            raise ValueError("overlap_tokens must be >= 0 and smaller than chunk_tokens")
        self.tokenizer = tokenizer
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens

    def chunk(self, text: str, doc_id: str) -> list[Chunk]:
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        # Tokens the normaliser dropped have empty spans; they cannot bound a chunk.
        offsets = [span for span in encoding.offsets if span[1] > span[0]]
        if not offsets:
            return []
        step = self.chunk_tokens - self.overlap_tokens
        chunks: list[Chunk] = []
        begin = 0
        while True:
            window = offsets[begin : begin + self.chunk_tokens]
            start, end = window[0][0], window[-1][1]
            piece = text[start:end]
            if piece.strip():
                index = len(chunks)
                chunks.append(
                    Chunk(chunk_id(doc_id, index), index, piece, start, end, len(window))
                )
            if begin + self.chunk_tokens >= len(offsets):
                break
            begin += step
        return chunks
