"""The internal webui->vecpipe key during a rotation: vecpipe accepts every key of its ring (the
old and the new one, so no request fails while webui switches), webui sends the first one, and
a key dropped from the ring is refused."""

from __future__ import annotations

import httpx
from semantik.webui.vecpipe_client import VecpipeClient

OLD = "old-internal-key-0123456789abcdef"  # pragma: allowlist secret (test value)
NEW = "new-internal-key-0123456789abcdef"  # pragma: allowlist secret (test value)


def _vecpipe(test_settings, embedder, ring: str):
    from semantik.vecpipe.app import create_app

    settings = test_settings.model_copy(
        update={"internal_api_key": type(test_settings.internal_api_key)(ring)}
    )
    return settings, create_app(settings, embedder=embedder)


async def _status(app, key: str | None) -> int:
    headers = {"X-API-Key": key} if key is not None else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://vecpipe", headers=headers
    ) as client:
        return (await client.get("/models")).status_code


async def test_both_keys_accepted_during_the_window_then_only_the_new(test_settings, embedder):
    # Step 1: vecpipe gets the new key staged next to the old one (webui still sends the old).
    _, app = _vecpipe(test_settings, embedder, f"k-old {OLD}\n20991231T000000Z-aaaa {NEW}\n")
    async with app.router.lifespan_context(app):
        assert await _status(app, OLD) == 200
        assert await _status(app, NEW) == 200
        assert await _status(app, "neither-of-them-0123456789") == 401
        assert await _status(app, None) == 401
        assert await _status(app, f"{OLD}\n{NEW}") == 401  # never the ring as one header

    # Step 2: webui's ring has the new key first: it sends that one, and vecpipe takes it.
    webui_settings, _ = _vecpipe(test_settings, embedder, f"k-new {NEW}\nk-old {OLD}\n")
    client = VecpipeClient.from_settings(
        webui_settings, transport=httpx.ASGITransport(app=app)
    )
    try:
        assert client._http.headers["X-API-Key"] == NEW
    finally:
        await client.aclose()

    # Step 3: the old key is dropped from vecpipe's ring: refused from now on.
    _, app = _vecpipe(test_settings, embedder, f"k-new {NEW}\n")
    async with app.router.lifespan_context(app):
        assert await _status(app, NEW) == 200
        assert await _status(app, OLD) == 401
