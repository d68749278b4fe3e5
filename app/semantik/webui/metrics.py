"""webui's Prometheus metrics: the shared request metrics plus indexing outcomes."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from semantik.shared.metrics import RequestMetrics


class WebuiMetrics(RequestMetrics):
    def __init__(self) -> None:
        super().__init__("webui")
        r = self.registry
        self.jobs_finished = Counter(
            "semantik_webui_jobs_finished", "Indexing jobs finished, by final status.",
            ["status"], registry=r,
        )
        self.files_processed = Counter(
            "semantik_webui_files_processed",
            "Files seen by indexing jobs, by outcome (added, updated, skipped, removed, failed, "
            "unsupported).",
            ["outcome"], registry=r,
        )
        self.job_seconds = Histogram(
            "semantik_webui_job_seconds", "Indexing job duration.",
            buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600), registry=r,
        )
