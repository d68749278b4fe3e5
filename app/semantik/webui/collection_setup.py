"""Operations that touch both webui's database and vecpipe, shared by the API and the CLI."""

from __future__ import annotations

import sqlite3

from semantik.shared.settings import Settings
from semantik.webui import catalog
from semantik.webui.errors import InvalidInput
from semantik.webui.paths import resolve_source
from semantik.webui.vecpipe_client import VecpipeClient


async def create_collection(
    conn: sqlite3.Connection, vecpipe: VecpipeClient, settings: Settings, *, name: str,
    source: str, model: str | None = None, description: str = "", created_by: int | None = None,
) -> catalog.Collection:
    """Record a collection over ``source`` (confined to the documents root) with the model vecpipe
    serves (or ``model``, which must be one vecpipe knows), its dimension and today's chunking."""
    catalog.validate_collection_name(name)
    relative, _ = resolve_source(settings.documents_root, source)
    registry = (await vecpipe.models()).models
    served = next((m for m in registry if m.loaded), None)
    chosen = served if model is None else next((m for m in registry if m.name == model), None)
    if chosen is None:
        known = ", ".join(m.name for m in registry) or "none"
        raise InvalidInput(
            f"unknown model {model!r}; vecpipe knows: {known}" if model
            else "vecpipe serves no model yet (still loading?)"
        )
    collection = catalog.insert_collection(
        conn, name=name, source=relative, model=chosen.name, dimension=chosen.dimension,
        chunk_tokens=settings.chunk_tokens, chunk_overlap_tokens=settings.chunk_overlap_tokens,
        description=description, created_by=created_by,
    )
    if chosen.loaded:
        try:
            await vecpipe.ensure_collection(name, chosen.name)
        except Exception:
            catalog.delete_collection(conn, name)  # keep webui and vecpipe in step
            raise
    return collection
