"""Search across one or more collections: one result per document, best chunk first, with a
readable match strength, the answer passage and snippets that mark the query's words.

Pages are slices of one ranking: every page of a query fetches the same candidate pool
(POOL_CHUNKS chunks per collection) and groups it the same way, so pages never overlap or skip.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from semantik.shared import schemas
from semantik.shared.schemas import SearchFilter, SearchHit, SearchModeName, SearchRequest
from semantik.shared.settings import Settings
from semantik.webui import catalog
from semantik.webui.errors import Conflict, InvalidInput, SemantikError
from semantik.webui.vecpipe_client import VecpipeClient

log = logging.getLogger("semantik.webui.search")
# Chunks fetched per collection for every page (vecpipe's largest k): the ranking pages slice.
POOL_CHUNKS = 100
# Other passages of a document listed under its best one.
MORE_PASSAGES = 5
# Chunks of a result searched for its answer sentence: the best two (a sentence can straddle two
# chunks). Every result on the page gets one from the sentence vectors stored at indexing; for
# chunks indexed before those were stored, only the first settings.search_answer_results do
# (vecpipe embeds their sentences then).
ANSWER_CHUNKS = 2
# A document matches "on words" when its chunks hold at least this share of the query's terms.
WORD_COVERAGE = 0.5

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
    answer: tuple[int, int] | None = None  # [start, end) of the answer sentence(s) in text


@dataclass(frozen=True)
class Passage:
    chunk_index: int
    start: int  # the chunk's offsets in the document text
    end: int
    snippet: Snippet
    answer_start: int | None = None  # the answer's offsets in the document text
    answer_end: int | None = None


@dataclass
class DocumentResult:
    collection: str
    document_id: str
    path: str
    title: str
    file_type: str
    mtime: float | None
    score: float
    similarity: float | None
    strength: Literal["strong", "fair", "weak"]
    matched: Literal["meaning", "words", "both"]
    passage: Passage | None = None  # filled for the results on the page only
    more_passages: list[Passage] = field(default_factory=list)
    # Its matching chunks, best first: passages are cut from them once it is on the page.
    hits: list[SearchHit] = field(default_factory=list, repr=False)

    def public(self) -> dict:
        """The fields a client sees (passages as Passage objects)."""
        return {k: v for k, v in self.__dict__.items() if k != "hits"}


@dataclass
class SearchPage:
    model: str
    results: list[DocumentResult]
    total: int
    offset: int
    next_offset: int | None
    no_good_match: bool
    indexing: list[str]


def query_terms(query: str) -> list[str]:
    """The query's words worth marking: lower-cased, without short words and stopwords."""
    terms = {w.lower() for w in _WORD.findall(query)}
    return sorted(
        (t for t in terms if len(t) >= MIN_TERM_CHARS and t not in _STOPWORDS),
        key=len, reverse=True,
    )


def _terms_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """Whole words ('do' never marks 'dough'), any case, a plural ending allowed."""
    if not terms:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?:e?s)?(?!\w)", re.IGNORECASE
    )


def make_snippet(
    text: str, terms: list[str], width: int = SNIPPET_CHARS,
    focus: tuple[int, int] | None = None,
) -> Snippet:
    """A window of ``text`` around ``focus`` (the answer passage: shown whole, marked as the
    answer) or else around the first query term found, with every term occurrence marked.

    Only whole words are marked ('do' never marks 'dough'), ignoring case; a plural ending is
    allowed, so 'flower' marks 'flowers'."""
    pattern = _terms_pattern(terms)
    if focus is not None:
        width = max(width, min(focus[1] - focus[0] + 40, 2 * width))
        anchor = focus[0]
    else:
        first = pattern.search(text) if pattern else None
        anchor = first.start() if first else 0
    begin = 0
    if anchor and len(text) > width:
        begin = max(0, min(anchor - width // 4, len(text) - width))
        if focus is not None:
            begin = min(begin, focus[0])
        space = text.rfind(" ", 0, begin + 1)  # do not start mid-word
        begin = space + 1 if space > begin - 20 and space >= 0 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin + width // 2 else end
    if focus is not None:
        end = max(end, min(focus[1], len(text)))
    window = text[begin:end]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - begin
    # Matched in the whole text, so a word cut by the window's edge is not marked as a whole one.
    matches = pattern.finditer(text) if pattern else ()
    marks = [(m.start() + shift, m.end() + shift) for m in matches
             if m.start() >= begin and m.end() <= end]
    answer = None
    if focus is not None:
        answer = (max(focus[0], begin) + shift, min(focus[1], end) + shift)
    return Snippet(prefix + window + suffix, marks, answer)


def _file_types(values: list[str]) -> list[str]:
    suffixes = []
    for value in values:
        suffix = "." + value.strip().lstrip(".").lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,10}", suffix):
            raise InvalidInput(f"file type {value!r} is not an extension like pdf or md")
        suffixes.append(suffix)
    return suffixes


def _folder_prefix(folder: str | None) -> str | None:
    if folder is None or not folder.strip("/ "):
        return None
    path = PurePosixPath(folder.strip().strip("/"))
    if ".." in path.parts or "\x00" in folder:
        raise InvalidInput("folder must be a path under the documents root, without '..'")
    return f"{path.as_posix()}/"


def _strength(similarity: float | None, settings: Settings) -> Literal["strong", "fair", "weak"]:
    if similarity is not None and similarity >= settings.search_strong_similarity:
        return "strong"
    if similarity is not None and similarity >= settings.search_fair_similarity:
        return "fair"
    return "weak"


async def search(
    conn: sqlite3.Connection, vecpipe: VecpipeClient, settings: Settings,
    collections: list[str], query: str, *, k: int = 10, offset: int = 0,
    mode: SearchModeName | None = None, file_types: list[str] | None = None,
    folder: str | None = None, sort: Literal["relevance", "date"] = "relevance",
) -> SearchPage:
    """Search the named collections (all of them when empty); one page of documents."""
    if not query.strip():
        raise InvalidInput("query must not be empty")
    if len(query) > settings.max_query_chars:
        raise InvalidInput(f"query is longer than {settings.max_query_chars} characters")
    suffixes = _file_types(file_types or [])
    prefix = _folder_prefix(folder)
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
    requests: list[tuple[catalog.Collection, SearchRequest]] = []
    for collection in targets:
        flt = SearchFilter(path_prefix=prefix) if prefix else SearchFilter()
        if suffixes:
            flt.document_ids = catalog.document_ids_with_suffix(conn, collection.id, suffixes)
            if not flt.document_ids:
                continue  # nothing of those types here
        requests.append((collection, SearchRequest(
            query=query, k=POOL_CHUNKS, mode=mode, model=collection.model,
            filter=flt if (flt.path_prefix or flt.document_ids) else None, explain=True,
            answers=True,
        )))
    responses = await asyncio.gather(*(vecpipe.search(c.name, r) for c, r in requests))

    terms = query_terms(query)
    pattern = _terms_pattern(terms)
    groups: dict[tuple[int, str], list[SearchHit]] = {}
    by_id = {c.id: c for c, _ in requests}
    for (collection, _), response in zip(requests, responses, strict=True):
        for hit in response.hits:
            groups.setdefault((collection.id, hit.document_id), []).append(hit)
    files: dict[tuple[int, str], sqlite3.Row] = {}
    for collection_id in by_id:
        ids = [doc for (cid, doc) in groups if cid == collection_id]
        for doc, row in catalog.documents_by_id(conn, collection_id, ids).items():
            files[(collection_id, doc)] = row

    kept: list[DocumentResult] = []
    for (collection_id, doc), hits in groups.items():
        hits.sort(key=lambda h: (-h.score, h.chunk_index))
        dense = [h.dense_score for h in hits if h.dense_score is not None]
        similarity = max(dense) if dense else None
        found_terms = (
            {m.group(0).lower().rstrip("s") for h in hits for m in pattern.finditer(h.text)}
            if pattern else set()
        )
        on_words = bool(terms) and len(found_terms) >= WORD_COVERAGE * len(
            {t.rstrip("s") for t in terms}
        ) and any(h.keyword_score for h in hits)
        on_meaning = similarity is not None and similarity >= settings.search_fair_similarity
        if not on_words and (similarity is None or similarity < settings.search_floor_similarity):
            continue  # below the calibrated floor: noise, not a result
        row = files.get((collection_id, doc))
        lead = hits[0]
        kept.append(DocumentResult(
            collection=by_id[collection_id].name, document_id=doc, path=lead.path,
            # Files indexed before titles were stored show their name until re-indexed.
            title=(row["title"] if row is not None else None) or PurePosixPath(lead.path).name,
            file_type=PurePosixPath(lead.path).suffix.lstrip(".").lower(),
            mtime=row["mtime"] if row is not None else None,
            score=lead.score, similarity=similarity, strength=_strength(similarity, settings),
            matched="both" if on_words and on_meaning else "words" if on_words else "meaning",
            hits=hits,
        ))
    kept.sort(key=lambda r: (-r.score, r.collection, r.path))
    if sort == "date":
        kept.sort(key=lambda r: -(r.mtime or 0.0))  # stable: equal dates keep relevance order
    page = kept[offset : offset + k]
    for result in page:  # snippets only for what is shown
        result.passage, *others = [
            Passage(h.chunk_index, h.start, h.end, make_snippet(h.text, terms))
            for h in result.hits[: 1 + MORE_PASSAGES]
        ]
        result.more_passages = others
    unanswered = [r for r in page if not _stored_answer(r, terms)]
    await _answer_passages(vecpipe, query, terms, unanswered[: settings.search_answer_results])
    indexing = catalog.indexing_collections(conn, list(by_id)) if by_id else set()
    return SearchPage(
        model=served.name, results=page, total=len(kept), offset=offset,
        next_offset=offset + k if offset + k < len(kept) else None,
        no_good_match=not kept, indexing=sorted(by_id[i].name for i in indexing),
    )


def _stored_answer(result: DocumentResult, terms: list[str]) -> bool:
    """Lead ``result`` with the answer vecpipe found in its best chunks' stored sentences; False
    when they have none stored."""
    scored = [(h, h.answer) for h in result.hits[:ANSWER_CHUNKS] if h.answer is not None]
    if not scored:
        return False
    _lead_with(result, terms, *max(scored, key=lambda pair: pair[1].score))
    return True


def _lead_with(
    result: DocumentResult, terms: list[str], hit: SearchHit, answer: schemas.Passage
) -> None:
    """Make the chunk holding the answer the result's passage, its snippet centred on it."""
    best = Passage(
        hit.chunk_index, hit.start, hit.end,
        make_snippet(hit.text, terms, focus=(answer.start, answer.end)),
        answer_start=hit.start + answer.start, answer_end=hit.start + answer.end,
    )
    if result.passage is not None and best.chunk_index != result.passage.chunk_index:
        # The old lead joins the other passages.
        result.more_passages = [result.passage] + [
            p for p in result.more_passages if p.chunk_index != best.chunk_index
        ]
    result.passage = best


async def _answer_passages(
    vecpipe: VecpipeClient, query: str, terms: list[str], page: list[DocumentResult]
) -> None:
    """Lead each result with the sentence(s) of its best chunks closest to the query (vecpipe
    embeds them, one request for all): the snippet is centred on them and marks them as the
    answer."""
    candidates = [r.hits[:ANSWER_CHUNKS] for r in page]
    texts = [h.text for hits in candidates for h in hits]
    if not texts:
        return
    try:
        answers = await vecpipe.passages(query, texts)
    except SemantikError as exc:  # an older vecpipe: keep the keyword snippets
        log.warning("answer passages unavailable: %s", exc.detail)
        return
    at = 0
    for result, hits in zip(page, candidates, strict=True):
        scored = list(zip(hits, answers[at : at + len(hits)], strict=True))
        at += len(hits)
        _lead_with(result, terms, *max(scored, key=lambda pair: pair[1].score))
