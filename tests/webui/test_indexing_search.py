"""Index a folder holding every supported type with the real model and the embedded store, search
it, and re-index incrementally."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.slow

QUERIES = {
    "how do bees pollinate flowers": "samples/honeybees.txt",
    "feeding a sourdough starter": "samples/sourdough.md",
    "Fresnel lens beam for ships at night": "samples/lighthouses.html",
    "magma pressure causes explosive eruptions": "samples/volcanoes.pdf",
    "Sicilian Defence and Queen's Gambit": "samples/chess-openings.docx",
    "travel expense reimbursement receipts": "samples/budget-meeting.eml",
}


async def test_index_every_type_and_find_the_right_document(webui):
    collection = await webui.create_collection("samples", "samples")
    assert collection["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert collection["dimension"] == 384
    assert (collection["chunk_tokens"], collection["chunk_overlap_tokens"]) == (64, 8)

    job = await webui.index("samples")
    assert job["status"] == "succeeded", job
    assert (job["added"], job["failed"], job["unsupported"], job["removed"]) == (6, 0, 0, 0)
    assert job["files_total"] == job["files_done"] == 6
    files = (await webui.admin.get("/api/collections/samples/files")).json()
    assert {f["status"] for f in files} == {"indexed"}
    assert all(f["chunk_count"] >= 1 and len(f["sha256"]) == 64 for f in files)
    assert job["chunks"] == sum(f["chunk_count"] for f in files) > 6  # 64-token chunks split

    for query, expected in QUERIES.items():
        response = await webui.admin.post(
            "/api/search", json={"query": query, "collections": ["samples"], "k": 3}
        )
        assert response.status_code == 200, response.text
        hits = response.json()["hits"]
        assert hits[0]["path"] == expected, (query, [h["path"] for h in hits])
        assert hits[0]["collection"] == "samples"

    hit = (
        await webui.admin.post("/api/search", json={"query": "waggle dance of honeybees", "k": 1})
    ).json()["hits"][0]
    marked = [hit["snippet"][a:b].lower() for a, b in hit["highlights"]]
    assert {"waggle", "dance"} <= set(marked), hit
    assert "<mark>" not in hit["snippet"]  # offsets, not markup: the client escapes and marks
    assert hit["chunk_index"] >= 0 and hit["end"] > hit["start"]

    # Only the query's own words are marked, as whole words (test_snippets: "do" never marks
    # "dough"), in every passage shown.
    results = (
        await webui.admin.post(
            "/api/search",
            json={"query": "how do bees tell each other where the flowers are", "k": 20},
        )
    ).json()["results"]
    passages = [p for r in results for p in [r["passage"], *r["more_passages"]]]
    marked = {p["snippet"][a:b].lower() for p in passages for a, b in p["highlights"]}
    assert "bees" in marked and marked <= {"bees", "tell", "tells", "flowers"}, marked


async def test_reindex_does_exactly_the_incremental_work(webui):
    await webui.create_collection("incr", "samples")
    first = await webui.index("incr")
    assert (first["added"], first["skipped"]) == (6, 0)

    again = await webui.index("incr")
    assert (again["added"], again["updated"], again["skipped"], again["removed"]) == (0, 0, 6, 0)
    assert again["chunks"] == 0

    docs = webui.documents / "samples"
    # modified content
    (docs / "honeybees.txt").write_text(
        "Honeybees hibernate? No: in winter the colony forms a tight cluster and shivers its "
        "flight muscles to keep the queen warm at about 35 degrees Celsius."
    )
    # touched only: new mtime, same bytes -> the hash says unchanged
    os.utime(docs / "sourdough.md", (1_700_000_000, 1_700_000_000))
    # deleted
    (docs / "lighthouses.html").unlink()
    # added
    (docs / "new-topic.txt").write_text(
        "Penguins of Antarctica huddle together against the polar wind; emperor penguin fathers "
        "incubate the single egg on their feet through the dark winter."
    )
    third = await webui.index("incr")
    assert third["status"] == "succeeded", third
    counts = {k: third[k] for k in ("added", "updated", "skipped", "removed", "failed")}
    assert counts == {"added": 1, "updated": 1, "skipped": 4, "removed": 1, "failed": 0}

    metrics = (await webui.client.get("/metrics")).text
    assert 'semantik_webui_jobs_finished_total{status="succeeded"} 3.0' in metrics
    assert 'semantik_webui_files_processed_total{outcome="skipped"} 10.0' in metrics
    paths = {f["path"] for f in (await webui.admin.get("/api/collections/incr/files")).json()}
    assert "lighthouses.html" not in paths and "new-topic.txt" in paths

    def top(query):
        return webui.admin.post(
            "/api/search", json={"query": query, "collections": ["incr"], "k": 5}
        )

    hits = (await top("lighthouse Fresnel lens")).json()["hits"]
    assert all(h["path"] != "samples/lighthouses.html" for h in hits)  # removed from the index
    assert (await top("emperor penguins huddle")).json()["hits"][0]["path"] == (
        "samples/new-topic.txt"
    )
    winter = (await top("how bees keep warm in winter")).json()["hits"]
    assert winter[0]["path"] == "samples/honeybees.txt"
    assert "waggle" not in " ".join(h["snippet"] for h in winter if h["path"].endswith(".txt"))


async def test_corrupt_and_unsupported_files_are_recorded_and_the_job_completes(webui):
    docs = webui.documents / "mixed"
    docs.mkdir()
    shutil.copy(webui.documents / "samples" / "honeybees.txt", docs)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (docs / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    await webui.create_collection("mixed", "mixed")
    job = await webui.index("mixed")
    assert job["status"] == "succeeded", job
    assert (job["added"], job["failed"], job["unsupported"]) == (1, 2, 1)
    files = {f["path"]: f for f in (await webui.admin.get("/api/collections/mixed/files")).json()}
    assert files["honeybees.txt"]["status"] == "indexed"
    assert files["broken.pdf"]["status"] == "error" and "PDF" in files["broken.pdf"]["error"]
    assert files["broken.docx"]["status"] == "error" and "DOCX" in files["broken.docx"]["error"]
    assert files["image.png"]["status"] == "unsupported"
    assert "unsupported file type '.png'" in files["image.png"]["error"]

    # Unchanged unsupported files are skipped; broken ones are retried (and fail again).
    second = await webui.index("mixed")
    assert (second["skipped"], second["failed"], second["unsupported"]) == (2, 2, 0)


async def test_search_input_errors(webui):
    await webui.create_collection("samples", "samples")
    for body in ({"query": ""}, {"query": "x" * 2001}, {"query": "ok", "k": 0}):
        response = await webui.admin.post("/api/search", json=body)
        assert response.status_code == 422, (body, response.text)
    response = await webui.admin.post("/api/search", json={"query": "   "})
    assert response.status_code == 400 and "empty" in response.json()["detail"]
    response = await webui.admin.post(
        "/api/search", json={"query": "bees", "collections": ["nope"]}
    )
    assert response.status_code == 404 and "nope" in response.json()["detail"]
    assert (await webui.client.post("/api/search", json={"query": "bees"})).status_code == 401


async def test_collection_with_another_model_is_refused_with_409(webui):
    from semantik.webui import catalog
    from semantik.webui.db import connect

    conn = connect(webui.settings.database_path)
    try:
        catalog.insert_collection(
            conn, name="legacy", source="samples", model="intfloat/e5-large-v2",
            dimension=1024, chunk_tokens=200, chunk_overlap_tokens=32,
        )
    finally:
        conn.close()
    response = await webui.admin.post(
        "/api/search", json={"query": "bees", "collections": ["legacy"]}
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "intfloat/e5-large-v2" in detail and "all-MiniLM-L6-v2" in detail
    job = await webui.index("legacy")
    assert job["status"] == "failed" and "intfloat/e5-large-v2" in job["error"]


async def test_sse_progress_and_job_listing(webui):
    await webui.create_collection("live", "samples")
    job = (await webui.admin.post("/api/collections/live/index")).json()
    # A second request while one is active is refused, naming the job.
    again = await webui.admin.post("/api/collections/live/index")
    assert again.status_code == 409 and str(job["id"]) in again.json()["detail"]

    async with webui.admin.stream("GET", f"/api/jobs/{job['id']}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = (await response.aread()).decode()
    events = [block for block in body.split("\n\n") if block.startswith("event:")]
    assert events[-1].startswith("event: end") and '"succeeded"' in events[-1]
    assert any('"files_done":6' in e for e in events if e.startswith("event: progress"))
    # Unauthenticated: refused; a token in the URL is not accepted (it would land in logs).
    assert (await webui.client.get(f"/api/jobs/{job['id']}/events")).status_code == 401
    token = webui.admin.headers["Authorization"].split()[1]
    response = await webui.client.get(f"/api/jobs/{job['id']}/events?access_token={token}")
    assert response.status_code == 401
    finished = await webui.admin.get(f"/api/jobs/{job['id']}/events")
    assert finished.status_code == 200 and "event: end" in finished.text
    listed = (await webui.admin.get("/api/jobs?collection=live")).json()
    assert [j["id"] for j in listed] == [job["id"]]
