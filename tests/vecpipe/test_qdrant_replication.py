"""Replication of the collections vecpipe creates on a Qdrant cluster: from the environment
(SEMANTIK_QDRANT_REPLICATION_FACTOR / _WRITE_CONSISTENCY_FACTOR, written by the semantik role)
through the settings to the arguments of qdrant-client's create_collection. No Qdrant server runs
on this workplace: the request is checked against qdrant-client's own models and signature;
molecule/qdrant-cluster creates such a collection on a real 3-peer cluster where one is supplied."""

from __future__ import annotations

import inspect

import pytest
from pydantic import ValidationError
from qdrant_client import QdrantClient, models
from semantik.shared.settings import Settings
from semantik.shared.vectorstore import make_store
from semantik.shared.vectorstore.qdrant_server import collection_config


def qdrant_settings(monkeypatch, tmp_path, **env: str) -> Settings:
    monkeypatch.setenv("SEMANTIK_VECTOR_STORE", "qdrant")
    monkeypatch.setenv("SEMANTIK_QDRANT_URL", "http://127.0.0.1:9")
    for name, value in env.items():
        monkeypatch.setenv(f"SEMANTIK_{name.upper()}", value)
    return Settings(_env_file=None, data_dir=tmp_path)


def test_defaults_keep_one_copy(monkeypatch, tmp_path):
    settings = qdrant_settings(monkeypatch, tmp_path)
    assert (settings.qdrant_replication_factor, settings.qdrant_write_consistency_factor) == (1, 1)
    cfg = collection_config("m", 384)
    assert (cfg["replication_factor"], cfg["write_consistency_factor"]) == (1, 1)


def test_environment_reaches_create_collection_arguments(monkeypatch, tmp_path):
    settings = qdrant_settings(
        monkeypatch, tmp_path, qdrant_replication_factor="2", qdrant_write_consistency_factor="2"
    )
    store = make_store(settings)
    try:
        assert (store.replication_factor, store.write_consistency_factor) == (2, 2)
        cfg = collection_config("m", 384, store.replication_factor, store.write_consistency_factor)
    finally:
        store.close()
    # The keywords are create_collection's own, and its request model accepts the values.
    params = inspect.signature(QdrantClient.create_collection).parameters
    assert {"replication_factor", "write_consistency_factor"} <= set(params)
    fields = models.CreateCollection.model_fields
    body = models.CreateCollection(**{k: v for k, v in cfg.items() if k in fields})
    assert (body.replication_factor, body.write_consistency_factor) == (2, 2)
    assert body.model_dump(exclude_none=True)["replication_factor"] == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"qdrant_replication_factor": "1", "qdrant_write_consistency_factor": "2"},
            "SEMANTIK_QDRANT_WRITE_CONSISTENCY_FACTOR must not exceed",
        ),
        ({"qdrant_replication_factor": "0"}, "qdrant_replication_factor"),
    ],
)
def test_inconsistent_factors_are_refused(monkeypatch, tmp_path, env, message):
    with pytest.raises(ValidationError, match=message):
        qdrant_settings(monkeypatch, tmp_path, **env)
