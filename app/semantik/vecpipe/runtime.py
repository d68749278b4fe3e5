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
    query_vectors: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)

    async def embed_query(self, text: str) -> np.ndarray:
        vector = self.query_vectors.get(text)
        if vector is None:
            vector = (await self.batcher.embed([text], "query"))[0]
            self.query_vectors[text] = vector
            if len(self.query_vectors) > QUERY_CACHE_SIZE:
                self.query_vectors.popitem(last=False)
        else:
            self.query_vectors.move_to_end(text)
        return vector

    @property
    def model_name(self) -> str:
        return self.embedder.name

    def same_model(self, name: str) -> bool:
        """True when ``name`` (or its registry alias) is the served model."""
        return canonical(name) == self.embedder.name
