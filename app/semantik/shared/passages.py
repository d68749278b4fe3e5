"""Sentences of a passage, and which of them answers a query best (given their similarities).

Pure functions: vecpipe embeds the sentences (it owns the model), webui only shows the offsets
these return. Indexing stores each chunk's sentence spans and vectors with the chunk
(``pack_vectors``), so a search compares them with the query instead of embedding them.
"""

from __future__ import annotations

import base64
import re

import numpy as np

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace,
# at a blank line, or at a line break before a capital, digit or list mark (headings, list items,
# table rows); other line breaks are hard wrapping inside a sentence.
_BOUNDARY = re.compile(
    r"(?<=[.!?])([\"')\]]*)\s+|\n[ \t]*\n\s*|\n(?=[ \t]*[A-Z0-9#*|•-])"
)
# Fragments shorter than this ("Fig. 2.", "e.g.") join the following sentence.
MIN_SENTENCE_CHARS = 25
# A best sentence shorter than this gets its better neighbour too, so the answer reads whole.
SHORT_PASSAGE_CHARS = 80
# A line this short without a full stop is a heading: it names the topic, it answers nothing.
HEADING_CHARS = 60
# Sentences embedded per text at most: a bound on the work one passage request can ask for.
MAX_SENTENCES = 40


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of the sentences of ``text`` (stripped, short fragments merged)."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        if match is None:
            stop = len(text)
        else:  # a closing quote or bracket stays with its sentence
            stop = match.end(1) if match.group(1) is not None else match.start()
        piece = text[begin:stop]
        lead = len(piece) - len(piece.lstrip())
        start, end = begin + lead, begin + len(piece.rstrip())
        if end > start:
            if spans and spans[-1][1] - spans[-1][0] < MIN_SENTENCE_CHARS:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        if match:
            begin = match.end()
    return spans[:MAX_SENTENCES]


def best_passage(
    text: str, spans: list[tuple[int, int]], similarities: list[float]
) -> tuple[int, int, float]:
    """(start, end, similarity) of the sentence closest to the query, widened by its closer
    neighbour when it alone is too short to read as an answer."""
    if not spans:
        return 0, min(len(text), SHORT_PASSAGE_CHARS), 0.0
    eligible = [
        i for i, (a, b) in enumerate(spans)
        if b - a >= HEADING_CHARS or text[b - 1] in ".!?\"')]"
    ] or list(range(len(spans)))
    best = max(eligible, key=lambda i: (similarities[i], -i))
    start, end = spans[best]
    if end - start < SHORT_PASSAGE_CHARS:
        neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(spans)]
        if neighbours:
            other = max(neighbours, key=lambda i: similarities[i])
            start, end = min(start, spans[other][0]), max(end, spans[other][1])
    return start, end, similarities[best]


def pack_vectors(vectors: np.ndarray) -> str:
    """Sentence vectors as a payload string: float16 rows, base64 (a third of a JSON float list's
    size; float16 keeps cosine to ~1e-3, plenty to pick a sentence)."""
    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def unpack_vectors(packed: str, dimension: int) -> np.ndarray:
    """The rows ``pack_vectors`` stored, as float32."""
    flat = np.frombuffer(base64.b64decode(packed), dtype="<f2")
    return flat.reshape(-1, dimension).astype(np.float32)


# Payload fields of a stored chunk holding its sentence spans and vectors (written at indexing).
SENTENCE_FIELDS = ("sentences", "sentence_vectors")


def stored_answers(
    payloads: list[dict], query: np.ndarray, per_document: int
) -> list[tuple[int, int, float] | None]:
    """The answer passages of each document's best ``per_document`` chunks (``payloads`` of
    hits, best first), from the sentences stored with them; None for the others."""
    seen: dict[str, int] = {}
    out: list[tuple[int, int, float] | None] = []
    for payload in payloads:
        document = str(payload.get("document_id", ""))
        seen[document] = seen.get(document, 0) + 1
        out.append(
            stored_answer(str(payload.get("text", "")), payload, query)
            if seen[document] <= per_document else None
        )
    return out


def stored_answer(
    text: str, payload: dict, query: np.ndarray
) -> tuple[int, int, float] | None:
    """The answer passage of a stored chunk from its stored sentence spans and vectors, or None
    when it has none (indexed before they were stored)."""
    spans, packed = (payload.get(key) for key in SENTENCE_FIELDS)
    if not spans or not isinstance(packed, str):
        return None
    vectors = unpack_vectors(packed, query.shape[0])
    if len(vectors) != len(spans):
        return None
    return best_passage(text, [(int(a), int(b)) for a, b in spans], (vectors @ query).tolist())
