"""Search across one or more collections, with snippets that mark the query's words."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import dataclass

from semantik.shared.schemas import SearchModeName, SearchRequest
from semantik.webui import catalog
from semantik.webui.errors import Conflict, InvalidInput
from semantik.webui.vecpipe_client import VecpipeClient

SNIPPET_CHARS = 320
_WORD = re.compile(r"\w+")  # unicode word characters: str patterns are unicode by default
# Shorter query words ("do", "is", "an") are noise in a snippet: they mark letters everywhere.
MIN_TERM_CHARS = 3
# Words too common to be worth marking (English, plus a few German and French articles).
_STOPWORDS = frozenset(
    {
        "about", "above", "after", "again", "all", "also", "and", "any", "are", "because", "been",
        "before", "being", "below", "between", "both", "but", "can", "could", "did", "does",
        "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have",
        "having", "her", "here", "hers", "herself", "him", "himself", "his", "how", "into", "its",
        "itself", "just", "more", "most", "much", "not", "now", "off", "once", "only", "other",
        "our", "ours", "out", "over", "own", "same", "she", "should", "some", "such", "than",
        "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
        "this", "those", "through", "too", "under", "until", "very", "was", "were", "what",
        "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
        "your", "yours", "der", "die", "das", "und", "ist", "les", "des",
    }
)


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]  # [start, end) offsets into text


@dataclass(frozen=True)
class Hit:
    collection: str
    document_id: str
    path: str
    chunk_index: int
    score: float
    start: int
    end: int
    snippet: Snippet


def query_terms(query: str) -> list[str]:
    """The query's words worth marking: lower-cased, without short words and stopwords."""
    terms = {w.lower() for w in _WORD.findall(query)}
    return sorted(
        (t for t in terms if len(t) >= MIN_TERM_CHARS and t not in _STOPWORDS),
        key=len, reverse=True,
    )


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> Snippet:
    """A window of ``text`` around the first query term found, with every term occurrence marked.

    Only whole words are marked ('do' never marks 'dough'), ignoring case; a plural ending is
    allowed, so 'flower' marks 'flowers'."""
    pattern = (
        re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?:e?s)?(?!\w)",
            re.IGNORECASE,
        )
        if terms else None
    )
    first = pattern.search(text) if pattern else None
    begin = 0
    if first and len(text) > width:
        begin = max(0, min(first.start() - width // 4, len(text) - width))
        space = text.rfind(" ", 0, begin + 1)  # do not start mid-word
        begin = space + 1 if space > begin - 20 and space >= 0 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + width // 2 else end
    window = text[begin:end]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - begin
    # Matched in the whole text, so a word cut by the window's edge is not marked as a whole one.
    matches = pattern.finditer(text) if pattern else ()
    marks = [(m.start() + shift, m.end() + shift) for m in matches
             if m.start() >= begin and m.end() <= end]
    return Snippet(prefix + window + suffix, marks)


async def search(
    conn: sqlite3.Connection, vecpipe: VecpipeClient, collections: list[str], query: str,
    *, k: int = 10, mode: SearchModeName | None = None, max_query_chars: int = 2000,
) -> tuple[list[Hit], str]:
    """Search the named collections (all of them when empty); returns (hits best first, model)."""
    if not query.strip():
        raise InvalidInput("query must not be empty")
    if len(query) > max_query_chars:
        raise InvalidInput(f"query is longer than {max_query_chars} characters")
    targets = (
        [catalog.get_collection(conn, name) for name in dict.fromkeys(collections)]
        if collections else catalog.list_collections(conn)
    )
    if not targets:
        raise InvalidInput("there are no collections to search")
    served = await vecpipe.served_model()
    for collection in targets:
        if collection.model != served.name:
            raise Conflict(
                f"collection {collection.name!r} was indexed with model {collection.model!r} but "
                f"vecpipe serves {served.name!r}; its vectors cannot be compared with this model's "
                "queries (serve that model or re-create and re-index the collection)"
            )
    responses = await asyncio.gather(
        *(
            vecpipe.search(
                c.name, SearchRequest(query=query, k=k, mode=mode, model=c.model)
            )
            for c in targets
        )
    )
    terms = query_terms(query)
    hits = [
        Hit(
            collection=response.collection, document_id=h.document_id, path=h.path,
            chunk_index=h.chunk_index, score=h.score, start=h.start, end=h.end,
            snippet=make_snippet(h.text, terms),
        )
        for response in responses
        for h in response.hits
    ]
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:k], served.name
