"""What vecpipe builds at startup and every request uses: the model, the store, the queue."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from semantik.shared.embedding import Embedder, canonical
from semantik.shared.metrics import VecpipeMetrics
from semantik.shared.settings import Settings
from semantik.shared.vectorstore import VectorStore
from semantik.shared.vectorstore.bm25 import Bm25Encoder
from semantik.vecpipe.batching import EmbedBatcher
from semantik.vecpipe.optimizer import IndexBuilder

QUERY_CACHE_SIZE = 256


class VectorCache:
    """Least recently used vectors by text (one model: a vecpipe serves one)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        vector = self._vectors.get(text)
        if vector is not None:
            self._vectors.move_to_end(text)
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[text] = vector
        self._vectors.move_to_end(text)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


@dataclass
class Services:
    settings: Settings
    metrics: VecpipeMetrics
    embedder: Embedder
    store: VectorStore
    batcher: EmbedBatcher
    index_builder: IndexBuilder
    bm25: Bm25Encoder
    # Recent query vectors by text: webui's search asks for the answer passage of the query it
    # just searched, and pages repeat a query; each saves a forward pass.
    query_vectors: VectorCache = field(default_factory=lambda: VectorCache(QUERY_CACHE_SIZE))
    # Answer-passage sentences: the documents that top searches recur across queries and pages,
    # so their sentences are embedded once (size: settings.answer_sentence_cache).
    sentence_vectors: VectorCache = field(init=False)

    def __post_init__(self) -> None:
        self.sentence_vectors = VectorCache(self.settings.answer_sentence_cache)

    async def embed_query(self, text: str) -> np.ndarray:
        vector = self.query_vectors.get(text)
        if vector is None:
            vector = (await self.batcher.embed([text], "query"))[0]
            self.query_vectors.put(text, vector)
        return vector

    async def embed_sentences(self, sentences: list[str]) -> np.ndarray:
        """Passage vectors of ``sentences`` (rows in order): the cached ones reused, the rest
        embedded in one batched call."""
        found = [self.sentence_vectors.get(s) for s in sentences]
        missing = list(dict.fromkeys(s for s, v in zip(sentences, found, strict=True) if v is None))
        if missing:
            fresh = dict(zip(missing, await self.batcher.embed(missing, "passage"), strict=True))
            for sentence, vector in fresh.items():
                self.sentence_vectors.put(sentence, vector)
            found = [fresh[s] if v is None else v for s, v in zip(sentences, found, strict=True)]
        if not found:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.stack(found)

    @property
    def model_name(self) -> str:
        return self.embedder.name

    def same_model(self, name: str) -> bool:
        """True when ``name`` (or its registry alias) is the served model."""
        return canonical(name) == self.embedder.name
