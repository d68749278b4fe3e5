"""Document-level search over the sample documents with the real model and store: one result per
document, stable pages, filters, titles, the answer passage, and honest relevance (nonsense finds
nothing, every sample question finds its document)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from semantik.shared.extraction import extract
from semantik.webui.db import MIGRATIONS, migrate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "bench" / "sample_questions.json").read_text())
SAMPLES = ROOT / "app" / "sample_documents"


@pytest.fixture
def webui_settings(test_settings):
    # Chunks nearer the default (200): a sentence cut by a 64-token chunk's edge has no whole
    # copy to be the answer; the hive notes still make several chunks each.
    return test_settings.model_copy(update={"chunk_tokens": 128, "chunk_overlap_tokens": 16})


async def search(webui, **body) -> dict:
    response = await webui.admin.post("/api/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_question_finds_its_document_and_nonsense_finds_nothing(webui):
    await webui.create_collection("samples", "samples")
    assert (await webui.index("samples"))["status"] == "succeeded"
    for question, name in SPEC["questions"].items():
        page = await search(webui, query=question)
        paths = [r["path"] for r in page["results"]]
        assert not page["no_good_match"] and paths[0] == f"samples/{name}", (question, paths)
        assert page["results"][0]["strength"] in ("strong", "fair", "weak")
        # Every result leads with its answer sentence: the sentence vectors were stored at
        # indexing, so answering costs a search no model work.
        answered = [r["passage"]["answer"] is not None for r in page["results"]]
        assert all(answered), (question, answered)
    for junk in SPEC["junk"]:
        for mode in ("hybrid", "dense", "keyword"):
            page = await search(webui, query=junk, mode=mode)
            assert page["results"] == [] and page["no_good_match"] and page["total"] == 0, (
                junk, mode, page["results"][:1],
            )

    # Found on words although its meaning is a weak match: the words are the evidence.
    top = (await search(webui, query="what is the waggle dance"))["results"][0]
    assert top["matched"] in ("words", "both"), top
    # A question answered in other words: matched on meaning.
    top = (await search(webui, query="how do bees communicate"))["results"][0]
    assert top["matched"] in ("meaning", "both") and top["strength"] != "weak", top


def write_hive_notes(folder: Path, count: int) -> None:
    """``count`` beekeeping notes of several 64-token chunks each, all about the same thing."""
    folder.mkdir()
    for n in range(count):
        (folder / f"hive-{n:02d}.txt").write_text(
            f"Hive inspection {n}\n\n"
            + " ".join(
                f"Day {day}: the honeybee colony in hive {n} brought in pollen and nectar; the "
                f"queen laid eggs in {day + n} frames and the workers capped the honey."
                for day in range(1, 9)
            )
        )


async def test_results_are_documents_paged_and_sorted(webui):
    write_hive_notes(webui.documents / "hives", 12)
    await webui.create_collection("hives", "hives")
    assert (await webui.index("hives"))["status"] == "succeeded"
    query = "honeybee colony bringing in pollen"
    everything = await search(webui, query=query, collections=["hives"], k=50)
    paths = [r["path"] for r in everything["results"]]
    # 12 documents of several chunks each: each document appears once.
    assert sorted(paths) == [f"hives/hive-{n:02d}.txt" for n in range(12)], paths
    assert everything["total"] == 12 and everything["next_offset"] is None
    assert all(r["more_passages"] for r in everything["results"])
    for result in everything["results"]:
        lead = result["passage"]["chunk_index"]
        assert all(p["chunk_index"] != lead for p in result["more_passages"])
        assert result["title"].startswith("Hive inspection ")  # the first line of a .txt
    again = await search(webui, query=query, collections=["hives"], k=50)
    assert [r["path"] for r in again["results"]] == paths  # stable
    # Pages are slices of that one ranking: no overlap, no gap.
    paged, offset, pages = [], 0, 0
    while offset is not None:
        page = await search(webui, query=query, collections=["hives"], k=5, offset=offset)
        assert len(page["results"]) <= 5 and page["total"] == 12
        paged += [r["path"] for r in page["results"]]
        offset, pages = page["next_offset"], pages + 1
    assert paged == paths and pages == 3

    # Sort by date: the newest file first, then by date.
    newest = webui.documents / "hives" / "hive-07.txt"
    os.utime(newest, (newest.stat().st_atime, newest.stat().st_mtime + 3600))
    assert (await webui.index("hives"))["skipped"] == 12  # same bytes, newer date
    by_date = await search(webui, query=query, collections=["hives"], k=50, sort="date")
    assert by_date["results"][0]["path"] == "hives/hive-07.txt"
    dates = [r["mtime"] for r in by_date["results"]]
    assert dates == sorted(dates, reverse=True)


async def test_titles_answer_passage_and_filters(webui):
    await webui.create_collection("samples", "samples")
    assert (await webui.index("samples"))["status"] == "succeeded"
    # Titles per type, stored at indexing, are the headings.
    for question, name in list(SPEC["questions"].items())[::4]:
        top = (await search(webui, query=question))["results"][0]
        assert top["title"] == extract(SAMPLES / name).title and top["file_type"] == (
            name.rsplit(".", 1)[1]
        )

    # The answer passage: the sentence that answers (not the heading that names the topic, not
    # the first keyword hit), marked in the snippet and located in the document text.
    for question, name, answer in (
        ("how are eruptions forecast", "volcanoes.pdf", "seismic tremors"),
        ("how do sailors tell lighthouses apart", "lighthouses.html", "flashing pattern"),
        ("do hotel costs need approval", "budget-meeting.eml", "prior approval"),
    ):
        top = (await search(webui, query=question))["results"][0]
        passage = top["passage"]
        a, b = passage["answer"]
        assert answer in passage["snippet"][a:b], (question, passage)
        document = extract(SAMPLES / name).text
        assert answer in document[passage["answer_start"] : passage["answer_end"]]
        # The preview is that same text: the answer offsets index it.
        response = await webui.admin.get(
            "/api/search/preview",
            params={"collection": "samples", "document_id": top["document_id"]},
        )
        assert response.status_code == 200, response.text
        shown = response.json()
        assert shown["text"] == document and shown["title"] == top["title"]
        assert not re.search(r"</?[a-z][a-z0-9]*[ >/]", shown["text"]), "markup in the preview"
        assert shown["path"] == f"samples/{name}"
    for params, status in (
        ({"collection": "samples", "document_id": "0" * 32}, 404),
        ({"collection": "samples", "document_id": "../x"}, 422),
        ({"collection": "nope", "document_id": "ab"}, 404),
    ):
        response = await webui.admin.get("/api/search/preview", params=params)
        assert response.status_code == status, (params, response.text)
    assert (await webui.client.get("/api/search/preview", params=params)).status_code == 401

    # Filters: file type and folder.
    query = "why do volcanoes erupt"
    pdfs = await search(webui, query=query, file_types=["PDF"])
    assert [r["path"] for r in pdfs["results"]] == ["samples/volcanoes.pdf"]
    assert (await search(webui, query=query, file_types=[".md", "txt"]))["no_good_match"]
    assert (await search(webui, query=query, folder="samples/none"))["results"] == []
    inside = await search(webui, query=query, folder="/samples/")
    assert inside["results"][0]["path"] == "samples/volcanoes.pdf"

    for bad in ({"file_types": ["p/df"]}, {"folder": "../etc"}, {"sort": "size"},
                {"offset": -1}, {"k": 0}):
        response = await webui.admin.post("/api/search", json={"query": "bees", **bad})
        assert 400 <= response.status_code < 500, (bad, response.text)


def test_migration_adds_titles_to_an_existing_database(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO collections (name, source, model, dimension, chunk_tokens, "
        "chunk_overlap_tokens, created_at) VALUES ('c', 's', 'm', 3, 10, 1, 0)"
    )
    conn.execute(
        "INSERT INTO files (collection_id, path, document_id, size, mtime, status, updated_at) "
        "VALUES (1, 'a.txt', 'd1', 1, 0, 'indexed', 0)"
    )
    assert migrate(conn) == len(MIGRATIONS) == 3  # 2: attempts, 3: titles
    row = conn.execute("SELECT path, title FROM files").fetchone()
    assert (row["path"], row["title"]) == ("a.txt", None)
    assert conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'files_document'"
    ).fetchone()


async def test_the_served_model_is_asked_once_not_per_search(vecpipe_app):
    import httpx
    from semantik.webui.vecpipe_client import VecpipeClient

    from tests.conftest import TEST_API_KEY

    asked: list[str] = []

    class Counting(httpx.ASGITransport):
        async def handle_async_request(self, request):
            asked.append(request.url.path)
            return await super().handle_async_request(request)

    client = VecpipeClient("http://vecpipe", TEST_API_KEY, transport=Counting(app=vecpipe_app))
    try:
        first = await client.served_model()
        assert (await client.served_model()) == first
        assert asked.count("/models") == 1
    finally:
        await client.aclose()
