"""Prometheus metrics. Each app builds its own registry in its factory (no import-time globals),
so tests can create many apps in one process and read exact values."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class RequestMetrics:
    """HTTP request count and latency by route template (never by raw path: bounded labels)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"semantik_{service}_requests",
            "HTTP requests handled.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            f"semantik_{service}_request_seconds",
            "HTTP request latency.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return _generate_latest(self.registry)


class RecordRequests:
    """Counts and times every HTTP request in ``metrics`` (``app.add_middleware(RecordRequests,
    metrics=...)``). Pure ASGI: starlette's BaseHTTPMiddleware runs each request in a task group
    with its response streamed through a memory channel, ~10 % of webui's CPU per search
    (bench/bench_search.py). The latency includes sending the body."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: an exception propagates through here

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The router set the matched route in this same scope.
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.request_seconds.labels(method, template).observe(
                time.perf_counter() - start
            )


class VecpipeMetrics(RequestMetrics):
    def __init__(self) -> None:
        super().__init__("vecpipe")
        r = self.registry
        self.embed_batches = Counter(
            "semantik_embed_batches", "Model forward batches run by the batching queue.", registry=r
        )
        self.embed_batch_size = Histogram(
            "semantik_embed_batch_texts",
            "Texts per batch handed to the model.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.embed_batch_requests = Histogram(
            "semantik_embed_batch_requests",
            "Requests merged into one model batch.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.embed_seconds = Histogram(
            "semantik_embed_seconds", "Model time per batch.", buckets=LATENCY_BUCKETS, registry=r
        )
        self.texts_embedded = Counter(
            "semantik_texts_embedded", "Texts embedded.", ["kind"], registry=r
        )
        self.search_seconds = Histogram(
            "semantik_search_seconds",
            "Vector-store time per search.",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.points_upserted = Counter(
            "semantik_points_upserted", "Chunks stored (embedded and upserted).", registry=r
        )
        self.optimize_runs = Counter(
            "semantik_optimize_runs",
            "Index builds of embedded collections.",
            ["result"],
            registry=r,
        )
        self.optimize_seconds = Histogram(
            "semantik_optimize_seconds",
            "Index build duration.",
            buckets=(0.1, 1, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self.model_loaded = Gauge(
            "semantik_model_loaded", "1 when the embedding model is loaded.", registry=r
        )
