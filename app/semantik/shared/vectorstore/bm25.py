"""BM25 sparse vectors for the keyword half of hybrid search.

qdrant-edge ships the tokenizer/stemmer Qdrant uses server-side; its encoder only hashes tokens
and weighs term frequency, so the same vectors suit both stores. The IDF part is applied by the
store at query time (sparse vectors configured with the IDF modifier), so adding documents never
requires re-encoding old ones.
"""

from __future__ import annotations

from functools import cached_property

from semantik.shared.vectorstore.base import SparseVec


class Bm25Encoder:
    def __init__(self, language: str = "english") -> None:
        self.language = language

    @cached_property
    def _model(self):
        from qdrant_edge import Bm25, Bm25Config

        return Bm25(Bm25Config(language=self.language))

    def document(self, text: str) -> SparseVec:
        vec = self._model.embed_document(text)
        return SparseVec(list(vec.indices), list(vec.values))

    def query(self, text: str) -> SparseVec:
        vec = self._model.embed_query(text)
        return SparseVec(list(vec.indices), list(vec.values))
