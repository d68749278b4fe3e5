"""webui fixtures on top of tests/conftest.py: a webui app whose vecpipe client talks to the
in-process vecpipe (real model, real embedded store), the sample documents copied under the
documents root, and an admin with a logged-in client."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from semantik.shared.settings import Settings
from semantik.webui import accounts
from semantik.webui.app import create_app
from semantik.webui.db import open_database

SAMPLES = Path(__file__).resolve().parents[2] / "app" / "sample_documents"
ADMIN_PASSWORD = "admin-password-123"


@dataclass
class Webui:
    app: object
    client: httpx.AsyncClient  # anonymous
    admin: httpx.AsyncClient  # logged in as "admin"
    settings: Settings
    documents: Path
    admin_password: str = ADMIN_PASSWORD

    async def login(self, username: str, password: str) -> dict:
        response = await self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def authed(self, access_token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://webui",
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def create_user(self, username: str, password: str, is_admin: bool = False) -> None:
        conn = open_database(self.settings.database_path)
        try:
            accounts.create_user(conn, username, password, is_admin=is_admin)
        finally:
            conn.close()

    async def wait_job(self, job_id: int, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = (await self.admin.get(f"/api/jobs/{job_id}")).json()
            if job["status"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout}s: {job}")

    async def index(self, name: str) -> dict:
        response = await self.admin.post(f"/api/collections/{name}/index")
        assert response.status_code == 202, response.text
        return await self.wait_job(response.json()["id"])

    async def create_collection(self, name: str, source: str) -> dict:
        response = await self.admin.post(
            "/api/collections", json={"name": name, "source": source, "index": False}
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def webui_settings(test_settings: Settings) -> Settings:
    # Small chunks so the samples give several chunks each and overlap is exercised.
    return test_settings.model_copy(update={"chunk_tokens": 64, "chunk_overlap_tokens": 8})


@pytest.fixture
async def webui(webui_settings: Settings, vecpipe_app) -> AsyncIterator[Webui]:
    documents = webui_settings.documents_root
    shutil.copytree(SAMPLES, documents / "samples")
    app = create_app(webui_settings, vecpipe_transport=httpx.ASGITransport(app=vecpipe_app))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://webui") as client:
            harness = Webui(app, client, client, webui_settings, documents)
            harness.create_user("admin", ADMIN_PASSWORD, is_admin=True)
            tokens = await harness.login("admin", ADMIN_PASSWORD)
            async with harness.authed(tokens["access_token"]) as admin:
                harness.admin = admin
                yield harness


@pytest.fixture
async def auth_webui(webui_settings: Settings):
    app = create_app(webui_settings)  # vecpipe_url points nowhere: these tests must not need it
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://webui") as client:
            harness = Webui(app, client, client, webui_settings, webui_settings.documents_root)
            harness.create_user("admin", ADMIN_PASSWORD, is_admin=True)
            harness.create_user("alice", "alice-password-1")
            yield harness


