"""webui's vecpipe client over a connection vecpipe drops (a restart closing its keep-alive
connections): a search goes again once on a new connection, a write never does.

The server is a real TCP server on loopback that drops the first connection after reading the
request, without answering, as a shutting-down vecpipe does, and answers later ones.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from semantik.shared import schemas
from semantik.webui.errors import UpstreamUnavailable
from semantik.webui.vecpipe_client import VecpipeClient

SEARCH_ANSWER = {
    "collection": "c", "model": "m", "mode": "hybrid", "hits": [],
    "timings": {"embed_ms": 1.0, "search_ms": 1.0, "total_ms": 2.0},
}


@pytest.fixture
async def flaky_vecpipe():
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")), b"0"))
        await reader.readexactly(length)
        seen.append(head.split(b" ")[1].decode())
        if len(seen) == 1:
            writer.close()  # dropped without an answer
            return
        body = json.dumps(SEARCH_ANSWER).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = VecpipeClient(f"http://127.0.0.1:{port}")
    yield client, seen
    await client.aclose()
    server.close()
    await server.wait_closed()


async def test_a_search_on_a_dropped_connection_goes_again(flaky_vecpipe):
    client, seen = flaky_vecpipe
    answer = await client.search("c", schemas.SearchRequest(query="bees"))
    assert answer.collection == "c" and answer.hits == []
    assert seen == ["/collections/c/search", "/collections/c/search"]


async def test_a_write_on_a_dropped_connection_is_not_repeated(flaky_vecpipe):
    client, seen = flaky_vecpipe
    with pytest.raises(UpstreamUnavailable, match="unreachable"):
        await client.optimize("c")
    assert seen == ["/collections/c/optimize"]
