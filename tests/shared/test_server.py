"""The servers' event loop and HTTP parser are an explicit setting, checked at start."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError
from semantik.shared.server import protocol_options
from semantik.shared.settings import Settings


def test_the_c_loop_and_parser_are_the_default_and_installed(monkeypatch):
    monkeypatch.delenv("SEMANTIK_SERVER_LOOP", raising=False)
    monkeypatch.delenv("SEMANTIK_SERVER_HTTP", raising=False)
    options = protocol_options(Settings(_env_file=None))
    assert options == {"loop": "uvloop", "http": "httptools"}
    for module in options.values():  # pinned dependencies: a missing one fails here, not at start
        importlib.import_module(module)


def test_pure_python_protocols_can_be_chosen_and_others_are_refused(monkeypatch):
    monkeypatch.setenv("SEMANTIK_SERVER_LOOP", "asyncio")
    monkeypatch.setenv("SEMANTIK_SERVER_HTTP", "h11")
    assert protocol_options(Settings(_env_file=None)) == {"loop": "asyncio", "http": "h11"}
    monkeypatch.setenv("SEMANTIK_SERVER_HTTP", "auto")
    with pytest.raises(ValidationError, match="server_http"):
        Settings(_env_file=None)
