"""Response headers webui adds to everything it sends: security policy and caching.

The one owner of the per-response policy headers: it knows which response is a page, an API
answer or a document, and they hold without nginx (`make run`). The proxy role adds only HSTS
(and headers on the few answers nginx makes itself), so none of these is ever sent twice.

A pure ASGI middleware (not BaseHTTPMiddleware), so streamed responses (job events) pass through
untouched apart from their headers. A header a route set itself is never replaced.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The built frontend (app/semantik/webui/static) has no inline script or style and loads only
# its own files; img-src keeps data: (the empty favicon) and blob: (opened image documents).
APP_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
# A document from the documents root is data, never a page of this origin: no script, no
# plugins, no same-origin access even when it is HTML or SVG and opened directly.
DOCUMENT_CSP = "default-src 'none'; sandbox"
# Anything else (JSON, text) is never a page: it may load nothing and be framed nowhere.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
# API answers (tokens, user data) are never kept by a browser or an intermediate cache.
API_CACHE = "no-store"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
# Vite names assets by content hash, so a name never changes meaning; index.html names the
# current ones and must be revalidated on every load so a new release is picked up.
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
# FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN with inline bootstrapping.
_API_DOCS = ("/docs", "/redoc")


def extra_headers(path: str, status: int, content_type: str) -> dict[str, str]:
    """The headers to add to a response to ``path`` (where not set already)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    api_docs = any(path == p or path.startswith(p + "/") for p in _API_DOCS)
    if api_docs:
        pass  # their own inline bootstrapping and CDN scripts: no CSP (see _API_DOCS)
    elif content_type.split(";")[0].strip().lower() == "text/html":
        headers["Content-Security-Policy"] = APP_CSP
        headers["Cache-Control"] = PAGE_CACHE
    elif status == 304:
        # No content type to judge by, and a browser replaces the cached page's headers with a
        # 304's: a data policy here would block the cached index.html's scripts (blank page).
        pass
    elif not path.startswith("/assets/"):  # the frontend's scripts and styles are not pages
        headers["Content-Security-Policy"] = DATA_CSP
    if path.startswith("/assets/") and status in (200, 304):  # never cache a 404 for a year
        headers["Cache-Control"] = ASSET_CACHE
    if path == "/api" or path.startswith("/api/"):
        headers["Cache-Control"] = API_CACHE
    return headers


class ResponseHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                extra = extra_headers(
                    scope["path"], message["status"], headers.get("content-type", "")
                )
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
