"""Collection sources and downloads stay inside the documents root; health, about, metrics; jobs
interrupted by a restart; cancelling."""

from __future__ import annotations

import os

import pytest
from semantik.webui import catalog
from semantik.webui.db import connect, open_database

pytestmark = pytest.mark.slow


@pytest.fixture
def outside(tmp_path):
    secret_dir = tmp_path / "outside"
    secret_dir.mkdir()
    (secret_dir / "passwords.txt").write_text("root:hunter2")
    return secret_dir


async def test_sources_that_leave_the_documents_root_are_refused(webui, outside):
    docs = webui.documents
    os.symlink(outside, docs / "escape")
    os.symlink(docs / "samples", docs / "inside-link")  # a symlink that stays inside is fine
    cases = {
        "../outside": "must not contain '..'",
        "samples/../../outside": "must not contain '..'",
        str(outside): "outside the documents root",
        "/etc": "outside the documents root",
        "escape": "resolves outside the documents root",
        "missing": "is not a directory",
        "samples/honeybees.txt": "is not a directory",
    }
    for source, message in cases.items():
        response = await webui.admin.post(
            "/api/collections", json={"name": "bad", "source": source, "index": False}
        )
        assert response.status_code == 400, (source, response.text)
        assert message in response.json()["detail"], (source, response.json())
    ok = await webui.admin.post(
        "/api/collections", json={"name": "linked", "source": "inside-link", "index": False}
    )
    assert ok.status_code == 201 and ok.json()["source"] == "samples"
    absolute = await webui.admin.post(
        "/api/collections",
        json={"name": "absolute", "source": str(docs / "samples"), "index": False},
    )
    assert absolute.status_code == 201 and absolute.json()["source"] == "samples"
    dup = await webui.admin.post(
        "/api/collections", json={"name": "linked", "source": "samples", "index": False}
    )
    assert dup.status_code == 409
    bad_name = await webui.admin.post(
        "/api/collections", json={"name": "../x", "source": "samples", "index": False}
    )
    assert bad_name.status_code == 422

    sources = (await webui.admin.get("/api/sources")).json()
    assert sources["directories"] == ["inside-link", "samples"]  # 'escape' is not offered
    assert (await webui.admin.get("/api/sources?path=..")).status_code == 400


async def test_symlinked_file_pointing_out_is_an_error_not_indexed(webui, outside):
    os.symlink(outside / "passwords.txt", webui.documents / "samples" / "leak.txt")
    await webui.create_collection("samples", "samples")
    job = await webui.index("samples")
    assert job["status"] == "succeeded" and job["failed"] == 1 and job["added"] == 6
    files = (await webui.admin.get("/api/collections/samples/files?status=error")).json()
    assert [(f["path"], f["error"]) for f in files] == [
        ("leak.txt", "symlink points outside the documents root")
    ]
    hits = (await webui.admin.post("/api/search", json={"query": "hunter2 root password"})).json()
    assert all("hunter2" not in h["snippet"] for h in hits["hits"])


async def test_download_is_confined(webui, outside):
    await webui.create_collection("samples", "samples")
    ok = await webui.admin.get("/api/collections/samples/document?path=samples/honeybees.txt")
    assert ok.status_code == 200 and ok.text.startswith("Honeybees and pollination")
    assert "attachment" in ok.headers["content-disposition"]
    os.symlink(outside / "passwords.txt", webui.documents / "samples" / "leak.txt")
    for path, status in (
        ("samples/../../outside/passwords.txt", 400),
        ("samples/leak.txt", 400),
        ("/etc/passwd", 400),
        ("other/file.txt", 400),
        ("samples/nope.txt", 404),
    ):
        response = await webui.admin.get(
            "/api/collections/samples/document", params={"path": path}
        )
        assert response.status_code == status, (path, response.text)
        assert "hunter2" not in response.text
    anonymous = await webui.client.get(
        "/api/collections/samples/document?path=samples/honeybees.txt"
    )
    assert anonymous.status_code == 401


async def test_delete_collection_removes_its_vectors_and_state(webui, vecpipe_client):
    await webui.create_collection("gone", "samples")
    assert (await webui.index("gone"))["status"] == "succeeded"
    assert (await vecpipe_client.get("/collections/gone")).json()["points_count"] > 0
    assert (await webui.admin.delete("/api/collections/gone")).status_code == 204
    assert (await vecpipe_client.get("/collections/gone")).status_code == 404
    assert (await webui.admin.get("/api/collections/gone")).status_code == 404
    assert (await webui.admin.get("/api/jobs?collection=gone")).json() == []
    assert (await webui.admin.delete("/api/collections/gone")).status_code == 404
    assert webui.documents.joinpath("samples", "honeybees.txt").exists()  # documents untouched


async def test_health_about_metrics_and_root(webui):
    assert (await webui.client.get("/livez")).json()["status"] == "ok"
    ready = await webui.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": "ok", "vecpipe": "ok"}
    about = (await webui.admin.get("/api/about")).json()
    assert about["model"] == "sentence-transformers/all-MiniLM-L6-v2" and about["device"] == "cpu"
    assert about["vecpipe"] == "ok" and about["dimension"] == 384
    assert about["release"] == f"{about['version']}-dev"  # no release file outside the role
    metrics = (await webui.client.get("/metrics")).text
    assert 'semantik_webui_requests_total{method="GET",route="/readyz",status="200"} 1.0' in metrics
    from semantik.webui.app import STATIC_DIR

    root = await webui.client.get("/", follow_redirects=False)
    if (STATIC_DIR / "index.html").is_file():  # the built frontend is served at /
        assert root.status_code == 200 and "text/html" in root.headers["content-type"]
        assert (await webui.client.get("/api/nope")).status_code == 404  # API stays API
    else:
        assert root.status_code == 307 and root.headers["location"] == "/docs"


async def test_readyz_reports_an_unreachable_vecpipe(webui_settings):
    import httpx
    from semantik.webui.app import create_app

    app = create_app(webui_settings.model_copy(update={"vecpipe_url": "http://127.0.0.1:9"}))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://webui"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["vecpipe"] == "unreachable or not ready"


async def test_job_left_running_by_a_dead_process_is_marked_interrupted(webui_settings):
    import httpx
    from semantik.webui.app import create_app

    conn = open_database(webui_settings.database_path)
    (webui_settings.documents_root / "d").mkdir()
    collection = catalog.insert_collection(
        conn, name="c", source="d", model="m", dimension=3, chunk_tokens=64,
        chunk_overlap_tokens=8,
    )
    job_id = catalog.create_job(conn, collection, claim=True)
    # A pid that cannot be alive (beyond pid_max) stands in for the crashed process.
    conn.execute("UPDATE jobs SET runner = ? WHERE id = ?", (f"{os.uname().nodename}:99999999",
                                                            job_id))
    conn.close()
    app = create_app(webui_settings, vecpipe_transport=httpx.MockTransport(lambda r: None))
    async with app.router.lifespan_context(app):
        pass
    conn = connect(webui_settings.database_path)
    job = catalog.get_job(conn, job_id)
    conn.close()
    assert job["status"] == "interrupted" and "restart" in job["error"]


async def test_cancel_a_queued_and_a_running_job(webui):
    await webui.create_collection("samples", "samples")
    conn = connect(webui.settings.database_path)
    try:
        collection = catalog.get_collection(conn, "samples")
        # Claimed by "another process" so this app's runner leaves it alone while we cancel it.
        job_id = catalog.create_job(conn, collection, claim=True)
    finally:
        conn.close()
    cancelled = await webui.admin.post(f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    # The indexer stops at its next check and records 'cancelled'.
    job = (await webui.app.state.runner.indexer.run(job_id))
    assert job["status"] == "cancelled" and job["files_done"] == 0
    again = await webui.admin.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
