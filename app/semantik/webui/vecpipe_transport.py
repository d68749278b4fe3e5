"""webui's HTTP/1.1 transport to vecpipe: kept-alive connections to one server, parsed by
httptools (the parser uvicorn serves with).

httpx's default transport (httpcore) spent about 0.8 ms of webui's CPU on each vecpipe call, a
third of a search's cost in webui; this one about 0.1 ms. It does only what webui needs: one
origin, HTTP/1.1, bodies read whole. Errors are httpx's, so VecpipeClient's handling (retrying
an idempotent request once on a connection vecpipe closed) is unchanged.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque

import httptools
import httpx

# Idle connections kept open. Above it a connection is closed after its response: a burst's
# extra connections do not linger.
MAX_IDLE = 16
_CHUNK = 256 * 1024


class _Parsed:
    """httptools callbacks: one response's status, headers and body."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.headers_done = self.done = self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        # Only asked here: once the message is complete the parser has reset for the next one.
        self.keep_alive = self.parser.should_keep_alive()
        self.done = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def usable(self) -> bool:
        """False once vecpipe closed it (idle timeout, restart) or it broke."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, data: bytes, head_only: bool) -> tuple[int, list, bytes, bool]:
        """Send one request; its response's status, headers, body and whether the connection
        can carry another."""
        self.writer.write(data)
        parsed = _Parsed()
        parser = parsed.parser
        while not parsed.done:
            chunk = await self.reader.read(_CHUNK)
            if not chunk:
                # A body that runs to the end of the connection ends here; anything else is cut.
                if parser.get_status_code() and not parser.should_keep_alive() and not head_only:
                    break
                raise httpx.RemoteProtocolError("vecpipe closed the connection mid-response")
            parser.feed_data(chunk)
            if head_only and parsed.headers_done:
                break  # a response to HEAD has no body, whatever its Content-Length says
        keep = parsed.done and parsed.keep_alive and not head_only
        return parser.get_status_code(), parsed.headers, b"".join(parsed.body), keep


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """Requests to one origin (``http://`` or ``https://``) over a pool of kept-alive
    connections."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None = None) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"vecpipe URL must be http:// or https://, not {base_url!r}")
        self._host = url.host
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl = (ssl_context or ssl.create_default_context()) if url.scheme == "https" else None
        self._idle: deque[_Connection] = deque()

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(
            self._host, self._port, ssl=self._ssl, limit=_CHUNK
        )
        return _Connection(reader, writer)

    def _checkout(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()  # the most recent: least likely to have timed out
            if connection.usable():
                return connection
            connection.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        head = [f"{request.method} {request.url.raw_path.decode('ascii')} HTTP/1.1\r\n".encode()]
        for name, value in request.headers.raw:
            head.append(name + b": " + value + b"\r\n")
        if body and "content-length" not in request.headers:
            head.append(b"Content-Length: " + str(len(body)).encode() + b"\r\n")
        data = b"".join(head) + b"\r\n" + body
        connection = self._checkout()
        try:
            if connection is None:
                async with asyncio.timeout(timeouts.get("connect")):
                    connection = await self._connect()
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to vecpipe timed out: {exc!r}") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to vecpipe: {exc!r}") from exc
        try:
            async with asyncio.timeout(timeouts.get("read")):
                status, headers, content, keep = await connection.exchange(
                    data, request.method == "HEAD"
                )
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout(f"vecpipe did not answer in time: {exc!r}") from exc
        except (OSError, httptools.HttpParserError) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(f"vecpipe connection failed: {exc!r}") from exc
        except BaseException:  # cancelled mid-response: its rest would confuse the next request
            connection.close()
            raise
        if keep and len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()
        # The body is whole and decoded by now (vecpipe sends no content encoding).
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
