"""Security and caching headers: every response, the frontend's page and assets, documents."""

from __future__ import annotations

import re

import pytest
from semantik.webui.app import STATIC_DIR
from semantik.webui.headers import APP_CSP, ASSET_CACHE, DATA_CSP, DOCUMENT_CSP

needs_build = pytest.mark.skipif(
    not (STATIC_DIR / "index.html").is_file(), reason="frontend not built into webui/static"
)


def built_asset(suffix: str) -> str:
    html = (STATIC_DIR / "index.html").read_text()
    found = re.search(r'(?:src|href)="\.?(/assets/[^"]+\.' + suffix + ')"', html)
    assert found, html
    return found.group(1)


async def test_every_response_says_nosniff_and_same_origin_referrer(auth_webui):
    for response in (
        await auth_webui.client.get("/livez"),
        await auth_webui.client.get("/api/collections"),  # 401
        await auth_webui.client.post("/api/auth/login", json={}),  # 422
        await auth_webui.client.get("/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "same-origin", response.url


def one(response, name: str) -> str:
    """The header's only value: a policy header sent twice (app and proxy) is a finding."""
    values = response.headers.get_list(name)
    assert len(values) == 1, (response.url, name, values)
    return values[0]


async def test_policy_headers_are_sent_once_each(auth_webui):
    for response in (
        await auth_webui.client.get("/livez"),
        await auth_webui.client.get("/api/collections"),  # 401
        await auth_webui.client.post("/api/auth/login", json={}),  # 422
    ):
        assert one(response, "content-security-policy") == DATA_CSP, response.url
        assert one(response, "referrer-policy") == "same-origin"
        assert one(response, "x-content-type-options") == "nosniff"
        assert one(response, "x-frame-options") == "DENY"
        assert "camera=()" in one(response, "permissions-policy")


async def test_api_and_token_responses_are_never_stored(auth_webui):
    login = await auth_webui.client.post(
        "/api/auth/login", json={"username": "admin", "password": auth_webui.admin_password}
    )
    assert login.status_code == 200 and "access_token" in login.json()
    refresh = await auth_webui.client.post(
        "/api/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refresh.status_code == 200, refresh.text
    async with auth_webui.authed(refresh.json()["access_token"]) as admin:
        answers = [await admin.get("/api/collections"), await admin.get("/api/auth/me")]
    for response in (login, refresh, await auth_webui.client.get("/api/collections"), *answers):
        assert one(response, "cache-control") == "no-store", response.url


@needs_build
async def test_frontend_page_has_strict_csp_and_is_revalidated(auth_webui):
    for path in ("/", "/index.html"):
        page = await auth_webui.client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == APP_CSP
        assert "unsafe" not in APP_CSP and "frame-ancestors 'none'" in APP_CSP
        assert page.headers["cache-control"] == "no-cache"
        # Revalidated: the 304 sends no policy of its own, so the cached page keeps APP_CSP (a
        # browser replaces stored headers with a 304's; a data policy would blank the page).
        again = await auth_webui.client.get(path, headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304, again.headers
        assert "content-security-policy" not in again.headers


@needs_build
def test_built_page_needs_no_inline_script_or_style():
    # The strict CSP (no 'unsafe-inline') holds only while the build keeps these out.
    html = (STATIC_DIR / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>", html, re.I)
    assert scripts and all(" src=" in s for s in scripts), scripts
    assert not re.search(r"<style\b|\sstyle=|\son\w+=", html, re.I)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from elsewhere


@needs_build
async def test_hashed_assets_are_cached_for_a_year_missing_ones_are_not(auth_webui):
    for asset in (built_asset("js"), built_asset("css")):
        response = await auth_webui.client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["cache-control"] == ASSET_CACHE
        assert "content-security-policy" not in response.headers  # not a page
        etag = response.headers["etag"]
        again = await auth_webui.client.get(asset, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["cache-control"] == ASSET_CACHE
    missing = await auth_webui.client.get("/assets/index-nope.js")
    assert missing.status_code == 404 and "cache-control" not in missing.headers


async def test_api_docs_pages_keep_working_without_the_app_csp(auth_webui):
    # Swagger UI and ReDoc bootstrap with inline script and load from a CDN.
    for path in ("/docs", "/redoc"):
        page = await auth_webui.client.get(path)
        assert page.status_code == 200 and "<script" in page.text
        assert "content-security-policy" not in page.headers
        assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow
async def test_documents_can_never_run_script_in_this_origin(webui):
    folder = webui.documents / "web"
    folder.mkdir()
    (folder / "page.html").write_text("<script>fetch('/api/users')</script>")
    (folder / "image.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    await webui.create_collection("web", "web")
    for name, media_type in (("page.html", "text/html"), ("image.svg", "image/svg+xml")):
        response = await webui.admin.get(
            "/api/collections/web/document", params={"path": f"web/{name}"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["content-security-policy"] == DOCUMENT_CSP
        assert "sandbox" in DOCUMENT_CSP and "default-src 'none'" in DOCUMENT_CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-disposition"].startswith("attachment")
