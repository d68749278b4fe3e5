"""webui's transport to vecpipe (KeepAliveTransport) against a real TCP server on loopback that
answers as the test tells it: connections are reused, every way HTTP/1.1 delimits a body is
read, a connection the server closed is never used again, and failures are httpx's errors."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from semantik.webui.vecpipe_transport import KeepAliveTransport


class Server:
    """Reads each request on a connection and answers with ``answer(path)``: raw bytes (a reply
    saying "Connection: close" closes the connection after it), or None to close it without a
    word."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[tuple[int, bytes, bytes]] = []  # (connection, request line, body)
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                line = head.split(b"\r\n")[0]
                self.requests.append((number, line, body))
                reply = self.answer(line.split(b" ")[1].decode())
                if asyncio.iscoroutine(reply):
                    reply = await reply
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if b"connection: close" in reply.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b'{"ok":true}') -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    return head % len(body) + body


@pytest.fixture
async def serve():
    servers = []

    async def start(answer):
        server = Server(answer)
        tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(tcp)
        port = tcp.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        client = httpx.AsyncClient(base_url=url, transport=KeepAliveTransport(url), timeout=5)
        return server, client

    yield start
    for tcp in servers:
        tcp.close()


async def test_sequential_requests_share_one_connection(serve):
    server, client = await serve(lambda path: ok(path.encode()))
    for n in range(5):
        response = await client.post(f"/r{n}", json={"n": n})
        assert response.status_code == 200 and response.content == f"/r{n}".encode()
    assert server.connections == 1
    assert [body for _, _, body in server.requests] == [b'{"n":%d}' % n for n in range(5)]
    await client.aclose()


def ok_after(seconds: float):
    """An answer function that answers ok() after ``seconds``."""

    async def answer(path: str) -> bytes:
        await asyncio.sleep(seconds)
        return ok()

    return answer


async def test_concurrent_requests_open_connections_and_keep_them(serve):
    server, client = await serve(ok_after(0.05))
    await asyncio.gather(*(client.get("/x") for _ in range(4)))
    assert server.connections == 4
    await asyncio.gather(*(client.get("/x") for _ in range(4)))
    assert server.connections == 4  # the same four again
    await client.aclose()


async def test_chunked_and_close_delimited_bodies(serve):
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    to_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"
    answers = {"/chunked": chunked, "/close": to_close}
    server, client = await serve(lambda path: answers[path])
    assert (await client.get("/chunked")).content == b"hello world"
    assert (await client.get("/chunked")).content == b"hello world"
    assert server.connections == 1
    assert (await client.get("/close")).content == b"until the end"
    assert (await client.get("/chunked")).content == b"hello world"
    assert server.connections == 2  # the closed one was not reused
    await client.aclose()


async def test_a_connection_closed_while_idle_is_not_used(serve):
    server, client = await serve(lambda path: ok())
    assert (await client.post("/a", json={})).status_code == 200
    for writer in server.writers:  # the server's idle timeout
        writer.close()
    await asyncio.sleep(0.05)
    # A POST, which nobody may repeat: it must go on a new connection at the first try.
    assert (await client.post("/b", json={})).status_code == 200
    assert server.connections == 2
    await client.aclose()


async def test_headers_and_status_reach_the_client(serve):
    server, client = await serve(
        lambda path: b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 22\r\n\r\n{\"detail\":\"not found\"}"
    )
    response = await client.get("/missing?x=1", headers={"X-API-Key": "k"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "not found"}
    assert server.requests[0][1] == b"GET /missing?x=1 HTTP/1.1"
    await client.aclose()


async def test_a_response_cut_short_is_an_error_and_the_connection_dropped(serve):
    answers = iter([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", ok()])
    server, client = await serve(lambda path: next(answers))
    task = asyncio.create_task(client.get("/x"))
    await asyncio.sleep(0.05)
    server.writers[0].close()  # 91 bytes short
    with pytest.raises(httpx.RemoteProtocolError):
        await task
    assert (await client.get("/y")).status_code == 200
    assert server.connections == 2
    await client.aclose()


async def test_no_answer_in_time_is_a_read_timeout(serve):
    server, client = await serve(ok_after(10))
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/x", timeout=0.2)
    await client.aclose()


async def test_nobody_listening_is_a_connect_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, transport=KeepAliveTransport(url)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/x")


def test_only_http_urls():
    with pytest.raises(ValueError, match="http:// or https://"):
        KeepAliveTransport("unix:///run/vecpipe.sock")
