"""Log format and secret masking; the embedded store's one-process rule."""

from __future__ import annotations

import io
import json
import logging

import pytest
from semantik.shared.logging import setup_logging
from semantik.vecpipe.app import SingleProcessError, check_process_model, create_app


def _log_through(settings, message: str, *args) -> str:
    stream = io.StringIO()
    handler = setup_logging(settings, stream=stream)
    try:
        logging.getLogger("semantik.test").warning(message, *args)
    finally:
        logging.getLogger().removeHandler(handler)
    return stream.getvalue()


def test_json_lines(test_settings):
    out = _log_through(test_settings.model_copy(update={"log_json": True}), "hello %s", "there")
    entry = json.loads(out.strip())
    assert entry["message"] == "hello there"
    assert entry["level"] == "warning" and entry["logger"] == "semantik.test"


def test_secrets_are_masked(test_settings):
    key = test_settings.internal_api_key.get_secret_value()
    out = _log_through(test_settings, "calling with key %s", key)
    assert key not in out and "***" in out


def test_secrets_in_exceptions_are_masked(test_settings):
    key = test_settings.jwt_secret.get_secret_value()
    stream = io.StringIO()
    handler = setup_logging(test_settings, stream=stream)
    try:
        try:
            raise RuntimeError(f"bad token {key}")
        except RuntimeError:
            logging.getLogger("semantik.test").exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    assert key not in stream.getvalue() and "RuntimeError" in stream.getvalue()


def test_embedded_store_refuses_several_workers(test_settings):
    with pytest.raises(SingleProcessError, match="SEMANTIK_WORKERS=1"):
        check_process_model(test_settings.model_copy(update={"workers": 2}))
    check_process_model(test_settings)  # one worker is fine


async def test_app_refuses_to_start_with_several_workers(test_settings, embedder):
    app = create_app(test_settings.model_copy(update={"workers": 4}), embedder=embedder)
    with pytest.raises(SingleProcessError):
        async with app.router.lifespan_context(app):
            pass
