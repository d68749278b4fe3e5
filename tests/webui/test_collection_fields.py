"""A collection's fields: the catalog's record (plus its computed stats) is exactly what the API's
CollectionOut shows, so a field added on one side and forgotten on the other fails here, not as a
silently missing value (CollectionOut ignores unknown keys) or a 500 at request time.
types.ts is checked against CollectionOut by tests/frontend/test_api_types.py."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from semantik.webui import catalog
from semantik.webui.db import open_database
from semantik.webui.schemas import CollectionOut

INTERNAL = {"id"}  # catalog fields the API does not show


def test_collection_out_is_the_catalog_record_plus_its_stats(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "webui.db")
    try:
        stats = set(catalog.collection_stats(conn, collection_id=1))
    finally:
        conn.close()
    record = {f.name for f in fields(catalog.Collection)} - INTERNAL
    shown = record | stats | {"active_job_id"}
    assert set(CollectionOut.model_fields) == shown, (
        f"catalog.Collection (+ collection_stats, active_job_id) gives {sorted(shown)}, "
        f"schemas.CollectionOut shows {sorted(CollectionOut.model_fields)}: add the field to both "
        "(and to app/frontend/src/api/types.ts), or list it in INTERNAL if the API must not show it"
    )


def test_from_row_reads_every_field_by_name(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "webui.db")
    try:
        created = catalog.insert_collection(
            conn, name="docs", source="docs", model="m", dimension=384, chunk_tokens=64,
            chunk_overlap_tokens=8, description="d",
        )
    finally:
        conn.close()
    assert (created.name, created.description, created.source, created.model) == (
        "docs", "d", "docs", "m"
    )
    assert (created.dimension, created.chunk_tokens, created.chunk_overlap_tokens) == (384, 64, 8)
    assert created.created_at > 0 and created.last_indexed_at is None and created.id >= 1
