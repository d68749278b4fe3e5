"""vecpipe's HTTP API end to end: real model, real embedded store, in-process ASGI."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import TEST_API_KEY, TEST_MODEL

DOCS = {
    "cats.txt": "Cats are small domesticated felines. A kitten purrs and chases mice.",
    "markets.txt": "The stock market fell sharply as bond yields rose and investors sold shares.",
    "python.txt": "Python is a programming language with dynamic typing and garbage collection.",
    "bread.txt": "Knead the dough, let it rise overnight, then bake the sourdough bread at 230C.",
}


def chunks_for(docs: dict[str, str]) -> list[dict]:
    return [
        {
            "id": f"{path}#0",
            "document_id": f"doc-{path}",
            "path": f"notes/{path}",
            "chunk_index": 0,
            "text": text,
            "start": 0,
            "end": len(text),
        }
        for path, text in docs.items()
    ]


async def make_collection(client: httpx.AsyncClient, name: str = "notes") -> None:
    r = await client.post("/collections", json={"name": name})
    assert r.status_code == 201, r.text
    r = await client.post(f"/collections/{name}/points", json={"chunks": chunks_for(DOCS)})
    assert r.status_code == 200, r.text
    assert r.json()["upserted"] == len(DOCS)


async def test_health_and_models(vecpipe_client: httpx.AsyncClient):
    assert (await vecpipe_client.get("/livez")).json()["status"] == "ok"
    ready = await vecpipe_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["store"] == "embedded ok"
    models = (await vecpipe_client.get("/models")).json()["models"]
    served = [m for m in models if m["loaded"]]
    assert [m["name"] for m in served] == [TEST_MODEL]
    assert served[0]["dimension"] == 384 and served[0]["device"] == "cpu"
    assert {m["name"] for m in models} >= {"BAAI/bge-small-en-v1.5", "intfloat/e5-base-v2"}


async def test_tokenizer_is_usable_without_torch(vecpipe_client: httpx.AsyncClient):
    from tokenizers import Tokenizer

    r = await vecpipe_client.get("/tokenizer")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    tokenizer = Tokenizer.from_str(r.text)
    assert tokenizer.encode("hello world").tokens[1:3] == ["hello", "world"]


async def test_embed_returns_unit_vectors(vecpipe_client: httpx.AsyncClient):
    r = await vecpipe_client.post("/embed", json={"texts": ["a cat", "a dog"], "kind": "query"})
    assert r.status_code == 200
    body = r.json()
    assert body["dimension"] == 384 and len(body["vectors"]) == 2
    for vec in body["vectors"]:
        assert abs(sum(x * x for x in vec) - 1.0) < 1e-4


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
async def test_search_modes_find_the_right_document(vecpipe_client, mode):
    await make_collection(vecpipe_client)
    queries = {
        "hybrid": ("kitten chasing mice", "notes/cats.txt"),
        "dense": ("what happened to shares and bonds", "notes/markets.txt"),
        "keyword": ("sourdough", "notes/bread.txt"),
    }
    query, expected = queries[mode]
    r = await vecpipe_client.post(
        "/collections/notes/search", json={"query": query, "k": 3, "mode": mode}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == mode
    assert body["hits"][0]["path"] == expected
    assert body["hits"][0]["id"] == expected.split("/")[1] + "#0"  # the chunk id, not the UUID
    timings = body["timings"]
    assert timings["total_ms"] >= timings["search_ms"] > 0


async def test_default_mode_is_hybrid(vecpipe_client):
    await make_collection(vecpipe_client)
    r = await vecpipe_client.post("/collections/notes/search", json={"query": "bread"})
    assert r.json()["mode"] == "hybrid"


async def test_filters_and_score_threshold(vecpipe_client):
    await make_collection(vecpipe_client)
    search = "/collections/notes/search"
    r = await vecpipe_client.post(
        search,
        json={"query": "cats", "mode": "dense", "filter": {"paths": ["notes/python.txt"]}},
    )
    assert [h["path"] for h in r.json()["hits"]] == ["notes/python.txt"]
    r = await vecpipe_client.post(
        search,
        json={"query": "cats", "filter": {"document_ids": ["doc-bread.txt", "doc-cats.txt"]}},
    )
    assert {h["document_id"] for h in r.json()["hits"]} == {"doc-bread.txt", "doc-cats.txt"}
    r = await vecpipe_client.post(
        search, json={"query": "cats", "filter": {"path_prefix": "other/"}}
    )
    assert r.json()["hits"] == []
    r = await vecpipe_client.post(
        search, json={"query": "kitten", "mode": "dense", "score_threshold": 0.3}
    )
    hits = r.json()["hits"]
    assert [h["path"] for h in hits] == ["notes/cats.txt"]
    assert hits[0]["score"] >= 0.3


async def test_upsert_is_idempotent_and_delete_by_document(vecpipe_client):
    await make_collection(vecpipe_client)
    # The same chunk ids again replace, never duplicate.
    r = await vecpipe_client.post("/collections/notes/points", json={"chunks": chunks_for(DOCS)})
    assert r.status_code == 200
    assert (await vecpipe_client.get("/collections/notes")).json()["points_count"] == len(DOCS)
    r = await vecpipe_client.post(
        "/collections/notes/points/delete",
        json={"document_ids": ["doc-cats.txt", "doc-missing"]},
    )
    assert r.json() == {"deleted_documents": 1}
    info = (await vecpipe_client.get("/collections/notes")).json()
    assert info["points_count"] == len(DOCS) - 1
    r = await vecpipe_client.post(
        "/collections/notes/search", json={"query": "kitten purrs", "mode": "keyword"}
    )
    assert all(h["document_id"] != "doc-cats.txt" for h in r.json()["hits"])


async def test_collection_lifecycle_and_conflicts(vecpipe_client):
    r = await vecpipe_client.post("/collections", json={"name": "c1"})
    assert r.status_code == 201
    assert r.json() == {
        "name": "c1",
        "model": TEST_MODEL,
        "dimension": 384,
        "points_count": 0,
        "indexed": True,
    }
    again = await vecpipe_client.post(
        "/collections", json={"name": "c1", "model": "all-MiniLM-L6-v2"}
    )
    assert again.status_code == 200  # same name, same model (by alias): idempotent
    other = await vecpipe_client.post(
        "/collections", json={"name": "c2", "model": "BAAI/bge-small-en-v1.5"}
    )
    assert other.status_code == 409 and "serves" in other.json()["detail"]
    assert [c["name"] for c in (await vecpipe_client.get("/collections")).json()] == ["c1"]
    r = await vecpipe_client.post(
        "/collections/c1/search", json={"query": "x", "model": "BAAI/bge-small-en-v1.5"}
    )
    assert r.status_code == 409 and "refused" in r.json()["detail"]
    r = await vecpipe_client.post(
        "/collections/c1/search", json={"query": "x", "model": "all-MiniLM-L6-v2"}
    )
    assert r.status_code == 200  # an alias of the collection's model is the same model
    assert (await vecpipe_client.delete("/collections/c1")).status_code == 204
    assert (await vecpipe_client.delete("/collections/c1")).status_code == 404
    assert (await vecpipe_client.get("/collections/c1")).status_code == 404
    r = await vecpipe_client.post("/collections/c1/search", json={"query": "x"})
    assert r.status_code == 404
    r = await vecpipe_client.post("/collections/c1/points", json={"chunks": chunks_for(DOCS)})
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/collections", {"name": "../etc"}),
        ("/collections", {"name": ""}),
        ("/collections/notes/search", {"query": ""}),
        ("/collections/notes/search", {"query": "x" * 2001}),
        ("/collections/notes/search", {"query": "x", "k": 0}),
        ("/collections/notes/search", {"query": "x", "mode": "fuzzy"}),
        ("/collections/notes/points", {"chunks": []}),
        ("/embed", {"texts": []}),
    ],
)
async def test_bad_input_is_422(vecpipe_client, path, body):
    await vecpipe_client.post("/collections", json={"name": "notes"})
    r = await vecpipe_client.post(path, json=body)
    assert r.status_code == 422
    assert r.json()["detail"]


async def test_api_key_required(vecpipe_app):
    transport = httpx.ASGITransport(app=vecpipe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vecpipe") as anon:
        for path in ("/models", "/collections", "/tokenizer"):
            r = await anon.get(path)
            assert r.status_code == 401, path
            assert "X-API-Key" in r.json()["detail"]
        r = await anon.post("/embed", json={"texts": ["x"]}, headers={"X-API-Key": "wrong"})
        assert r.status_code == 401
        # Health and metrics stay open to the local probes and scraper.
        for path in ("/livez", "/readyz", "/metrics"):
            assert (await anon.get(path)).status_code == 200, path
        ok = await anon.get("/models", headers={"X-API-Key": TEST_API_KEY})
        assert ok.status_code == 200


async def test_metrics_count_requests_and_points(vecpipe_client):
    await make_collection(vecpipe_client)
    await vecpipe_client.post("/collections/notes/search", json={"query": "cats"})
    text = (await vecpipe_client.get("/metrics")).text
    assert f"semantik_points_upserted_total {float(len(DOCS))}" in text
    assert 'semantik_search_seconds_count{mode="hybrid"} 1.0' in text
    assert (
        'semantik_vecpipe_requests_total{method="POST",route="/collections/{name}/search",'
        'status="200"} 1.0'
    ) in text
    assert "semantik_model_loaded 1.0" in text


async def test_optimize_builds_index_in_background(vecpipe_app, vecpipe_client):
    await make_collection(vecpipe_client)
    assert (await vecpipe_client.get("/collections/notes")).json()["indexed"] is False
    r = await vecpipe_client.post("/collections/notes/optimize")
    assert r.status_code == 202
    vecpipe_app.state.services.index_builder.wait(60)
    info = (await vecpipe_client.get("/collections/notes")).json()
    assert info["indexed"] is True and info["points_count"] == len(DOCS)
    assert (await vecpipe_client.post("/collections/nope/optimize")).status_code == 404
    text = (await vecpipe_client.get("/metrics")).text
    assert 'semantik_optimize_runs_total{result="ok"} 1.0' in text


async def test_answer_passages_embed_each_sentence_once(vecpipe_app, vecpipe_client):
    texts = [
        "Honeybees live in colonies of thousands of workers. A forager tells her sisters where "
        "food is with the waggle dance: its angle gives the direction relative to the sun.",
        "Lighthouses differ by their flashing pattern, which sailors read from the chart. "
        "Honeybees live in colonies of thousands of workers.",  # in both texts: embedded once
    ]
    body = {"query": "how do bees tell each other where flowers are", "texts": texts}
    batcher = vecpipe_app.state.services.batcher
    embedded: list[str] = []
    embed = batcher.embed

    async def counting(batch, kind="passage"):
        if kind == "passage":
            embedded.extend(batch)
        return await embed(batch, kind)

    batcher.embed = counting
    first = await vecpipe_client.post("/passages", json=body)
    assert first.status_code == 200, first.text
    start, end = first.json()["passages"][0]["start"], first.json()["passages"][0]["end"]
    assert "waggle dance" in texts[0][start:end]
    assert len(embedded) == len(set(embedded)) == 3, embedded  # 4 sentences, 3 different
    # The next search on these documents (another query, the next page) reuses the sentences.
    again = await vecpipe_client.post("/passages", json={**body, "query": "bee dances"})
    assert again.status_code == 200 and len(embedded) == 3, embedded


async def test_search_answers_from_sentences_stored_at_indexing(vecpipe_app, vecpipe_client):
    text = (
        "Honeybees live in colonies of thousands of workers. A forager tells her sisters where "
        "food is with the waggle dance: its angle gives the direction relative to the sun. "
        "Drones do not collect nectar."
    )
    chunk = {**chunks_for({"bees.txt": text})[0], "context": "Honeybees\n\nnotes/bees.txt"}
    assert (await vecpipe_client.post("/collections", json={"name": "bees"})).status_code == 201
    r = await vecpipe_client.post("/collections/bees/points", json={"chunks": [chunk]})
    assert r.status_code == 200, r.text
    batcher = vecpipe_app.state.services.batcher
    kinds: list[str] = []
    embed = batcher.embed

    async def counting(batch, kind="passage"):
        kinds.append(kind)
        return await embed(batch, kind)

    batcher.embed = counting
    body = {"query": "how do bees tell each other where flowers are", "answers": True}
    r = await vecpipe_client.post("/collections/bees/search", json=body)
    assert r.status_code == 200, r.text
    answer = r.json()["hits"][0]["answer"]
    # The sentence that answers, in the stored text's offsets (the context is not part of it).
    assert "waggle dance" in text[answer["start"] : answer["end"]], answer
    assert 0.2 < answer["score"] <= 1.0
    assert kinds == ["query"], kinds  # the query only: no sentence was embedded to answer
    plain = await vecpipe_client.post("/collections/bees/search", json={"query": "bees"})
    assert plain.json()["hits"][0]["answer"] is None  # only asked for
