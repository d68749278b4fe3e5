"""vecpipe refuses what it cannot store faithfully: non-finite numbers, lone surrogates, integers
past int64, empty ids, booleans or strings for integers, unknown fields, oversized bodies. Each
is a 4xx with a JSON message, never a 500."""

from __future__ import annotations

import importlib
import json
import pkgutil

import httpx
import pytest
from semantik.shared.api import StrictJSONRoute
from semantik.vecpipe.app import create_app

from tests.conftest import TEST_API_KEY
from tests.vecpipe.test_api import chunks_for, make_collection

CHUNK = chunks_for({"a.txt": "Some text about lighthouses and the sea."})[0]


def with_(**changes) -> dict:
    return {"chunks": [{**CHUNK, **changes}]}


async def post_raw(client: httpx.AsyncClient, path: str, body: bytes) -> httpx.Response:
    return await client.post(path, content=body, headers={"Content-Type": "application/json"})


def assert_4xx(response: httpx.Response, status: int = 422) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/embed", b'{"texts": ["x"], "kind": NaN}'),
        ("/embed", b'{"texts": ["\\ud800"]}'),
        ("/embed", b'{"texts": ["\\udfff x"]}'),
        ("/collections", b'{"name": "\\ud800"}'),
        ("/collections/notes/search", b'{"query": "sea", "score_threshold": NaN}'),
        ("/collections/notes/search", b'{"query": "sea", "score_threshold": -Infinity}'),
        ("/collections/notes/search", b'{"query": "sea", "score_threshold": 1e999}'),
        ("/collections/notes/search", b'{"query": "\\ud800"}'),
        ("/collections/notes/search", b'{"query": "sea", "k": 9223372036854775808}'),
        ("/collections/notes/search", b'{"query": "sea", "filter": {"path_prefix": "\\udc00"}}'),
        ("/collections/notes/points/delete", b'{"document_ids": ["\\ud800"]}'),
        ("/collections/notes/points", b'{"chunks": [{"id": "\\ud800"}]}'),
    ],
)
async def test_crafted_json_is_422(vecpipe_client, path, body):
    await make_collection(vecpipe_client)
    assert_4xx(await post_raw(vecpipe_client, path, body))


@pytest.mark.parametrize(
    "body",
    [
        with_(id=""),
        with_(document_id=""),
        with_(path=""),
        with_(chunk_index=True),
        with_(chunk_index="3"),
        with_(chunk_index=2**63),
        with_(start=False),
        with_(end=2**64),
        with_(start=1.5),
        with_(surprise="field"),
        {"chunks": [CHUNK], "extra": 1},
    ],
)
async def test_upsert_input_is_strict(vecpipe_client, body):
    await make_collection(vecpipe_client)
    assert_4xx(await vecpipe_client.post("/collections/notes/points", json=body))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/collections/notes/points/delete", {"document_ids": [""]}),
        ("/collections/notes/search", {"query": "sea", "k": True}),
        ("/collections/notes/search", {"query": "sea", "filter": {"paths": [""]}}),
        ("/collections/notes/search", {"query": "sea", "mode": "dense", "unknown": 1}),
        ("/embed", {"texts": ["x"], "batch": 5}),
        ("/collections", {"name": "c", "dimension": 3}),
    ],
)
async def test_other_bodies_are_strict(vecpipe_client, path, body):
    await make_collection(vecpipe_client)
    assert_4xx(await vecpipe_client.post(path, json=body))


async def test_strict_models_still_take_what_webui_sends(vecpipe_client):
    await make_collection(vecpipe_client)
    r = await vecpipe_client.post(
        "/collections/notes/search",
        json={"query": "sea", "k": 3, "mode": "hybrid", "score_threshold": 0,
              "filter": {"paths": ["notes/cats.txt"]}},
    )
    assert r.status_code == 200, r.text


async def test_oversized_body_is_413_with_a_message(test_settings, embedder):
    settings = test_settings.model_copy(update={"vecpipe_max_request_bytes": 4096})
    app = create_app(settings, embedder=embedder)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://vecpipe", headers={"X-API-Key": TEST_API_KEY}
        ) as client:
            big = json.dumps({"texts": ["word " * 1000]}).encode()
            r = await post_raw(client, "/embed", big)
            assert r.status_code == 413
            assert r.json() == {"detail": "request body larger than 4096 bytes"}

            async def chunked():  # no Content-Length: counted while read
                for _ in range(10):
                    yield b" " * 1000

            r = await client.post(
                "/embed", content=chunked(), headers={"Content-Type": "application/json"}
            )
            assert r.status_code == 413
            assert (await client.post("/embed", json={"texts": ["small"]})).status_code == 200


async def test_an_unexpected_error_is_a_json_500_that_closes_cleanly(test_settings, embedder):
    app = create_app(test_settings, embedder=embedder)

    def boom() -> None:
        raise RuntimeError("a bug nobody mapped")

    app.router.add_api_route("/boom", boom, route_class_override=StrictJSONRoute)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vecpipe") as client:
            r = await client.get("/boom")
            assert r.status_code == 500
            assert r.json() == {"detail": "internal server error"}
            assert r.headers["connection"] == "close"
            metrics = (await client.get("/metrics")).text
            assert 'status="500"' in metrics  # the metrics middleware saw the answer


def test_every_router_decodes_json_strictly():
    import semantik.vecpipe.routers
    import semantik.webui.routers

    routers = []
    for package in (semantik.vecpipe.routers, semantik.webui.routers):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            routers.append((module.__name__, module.router))
    assert len(routers) >= 14
    loose = [name for name, router in routers if router.route_class is not StrictJSONRoute]
    assert loose == []
    for _, router in routers:
        assert all(isinstance(route, StrictJSONRoute) for route in router.routes)
