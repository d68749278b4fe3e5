"""What both HTTP services (vecpipe and webui) share about requests and errors, set up once per
app by :func:`install`:

- one JSON policy for request bodies: NaN/Infinity, numbers that overflow to infinity, lone
  surrogates ("\\ud800") and runaway nesting are a 422 with a message, never a 500 later on
  (every route of both apps uses :class:`StrictJSONRoute`);
- bounded integers for path and query parameters (``schemas.MAX_INT64``);
- the error statuses each route documents (:func:`error_responses`);
- errors mapped once: validation errors as 422 with ``loc``/``msg`` (the rejected input is not
  echoed: it may be a password), a body-size limit as a JSON 413, and a last-resort
  handler that turns any unexpected exception into a JSON 500 with ``Connection: close``. Without
  it Starlette sends its 500 and re-raises, and uvicorn then drops the keep-alive connection
  without saying so: nginx's next request on that pooled connection got a 502.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semantik.shared.schemas import ErrorResponse

log = logging.getLogger("semantik.api")

# json.loads recurses per nesting level; far below Python's recursion limit.
MAX_JSON_DEPTH = 64


class InvalidJSON(json.JSONDecodeError):
    """FastAPI turns a JSONDecodeError from request.json() into a 422 carrying its message."""

    def __init__(self, msg: str, doc: str = "", pos: int = 0) -> None:
        super().__init__(msg, doc, pos)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use a finite number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _check_decoded(value: Any) -> None:
    """Iterative walk: every string (keys too) must be encodable as UTF-8 (no lone surrogates),
    and nesting must stay within MAX_JSON_DEPTH."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError(
                        "a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)"
                    ) from None
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def strict_json_loads(body: bytes | str) -> Any:
    """The request-body JSON policy of both services; raises :class:`InvalidJSON`."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(exc.msg, exc.doc, exc.pos) from None
    except RecursionError:
        raise InvalidJSON(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # parse_constant/parse_float, or an int of > 4300 digits
        raise InvalidJSON(str(exc)) from None
    try:
        _check_decoded(value)
    except ValueError as exc:
        raise InvalidJSON(str(exc)) from None
    return value


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json_loads(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """Route class of every router: request bodies are decoded by :func:`strict_json_loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


def _validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    detail = []
    for error in errors:
        msg = str(error.get("msg", "invalid value"))
        ctx = error.get("ctx") or {}
        if error.get("type") == "json_invalid" and ctx.get("error"):
            msg = f"invalid JSON: {ctx['error']}"
        detail.append({
            "loc": [p if isinstance(p, int) else str(p) for p in error.get("loc", ())],
            "msg": msg,
            "type": str(error.get("type", "value_error")),
        })
    return detail


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": _validation_detail(list(exc.errors()))}, status_code=422)


class _BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTPExceptions through its body parsing,
    and the app's handler answers it as JSON."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413, f"request body larger than {max_bytes} bytes",
            headers={"Connection": "close"},  # the rest of the body is not read
        )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with a JSON 413: at once when Content-Length says
    so, else as soon as the bytes read pass the limit (chunked bodies). Starlette's own limit
    answers in plain text, which no client of these JSON APIs expects."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes"}, status_code=413,
            headers={"Connection": "close"},  # the rest of the body is not read
        )
        await response(scope, receive, send)


class ErrorBoundary:
    """Innermost user middleware: an exception no handler mapped becomes a JSON 500 that is sent
    completely, with ``Connection: close``, and is logged here (with traceback, never the body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "finished": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["finished"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            where = f"{scope.get('method')} {scope.get('path')}"
            if state["started"] and not state["finished"]:
                # Half a response is out: the only honest thing left is closing the connection.
                log.exception("unhandled error while sending the response to %s", where)
                raise
            log.exception("unhandled error on %s", where)
            if state["finished"]:  # e.g. a background task: the response went out whole
                return
            response = JSONResponse(
                {"detail": "internal server error"}, status_code=500,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)


_ERRORS = {
    400: "The request is not acceptable (the message says why).",
    401: "Not authenticated (missing, wrong or expired credentials).",
    403: "Authenticated, but not allowed.",
    404: "Not found.",
    409: "Conflicts with the current state (the message says which).",
    413: "The request body is larger than the service accepts.",
    429: "Too many failed attempts: wait the seconds in Retry-After.",
    503: "Not ready yet, or a service it depends on is unreachable.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a router or route can answer with, so the
    schema lists every status the API returns (422 FastAPI documents by itself)."""
    return {code: {"model": ErrorResponse, "description": _ERRORS[code]} for code in codes}


def install(app: FastAPI, *, max_body_bytes: int) -> None:
    """Give ``app`` the shared error mapping; call before adding its other middleware so that
    they (metrics, headers) see the 500 this produces."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_middleware(ErrorBoundary)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)


__all__ = [
    "BodyLimit",
    "ErrorBoundary",
    "InvalidJSON",
    "StrictJSONRoute",
    "error_responses",
    "install",
    "strict_json_loads",
]
