"""The `semantik` command, run in-process against a real database, and (for collections, index and
search) a real vecpipe served by uvicorn on a loopback port."""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from semantik.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "app" / "sample_documents"


@pytest.fixture
def cli_env(test_settings, monkeypatch):
    s = test_settings
    for name, value in {
        "DATA_DIR": s.data_dir, "DOCUMENTS_ROOT": s.documents_root,
        "JWT_SECRET": s.jwt_secret.get_secret_value(),
        "INTERNAL_API_KEY": s.internal_api_key.get_secret_value(),
        "MODEL_PATH": s.model_path, "DEVICE": "cpu", "PRECISION": "float32",
        "VECPIPE_URL": "http://127.0.0.1:9",  # nothing listens there unless a test says so
        "CHUNK_TOKENS": "64", "CHUNK_OVERLAP_TOKENS": "8",
    }.items():
        monkeypatch.setenv(f"SEMANTIK_{name}", str(value))
    return s


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_create_is_idempotent_and_never_prints_the_password(cli_env, capsys, monkeypatch):
    secret = "s3cret-passw0rd"
    code, out, err = run(
        capsys, monkeypatch, "users", "create", "root", "--admin", "--password-stdin",
        stdin=secret + "\n",
    )
    assert code == 0 and out.startswith("created: user 'root' (admin)")
    code, out, err = run(
        capsys, monkeypatch, "users", "create", "root", "--password-stdin", stdin="other-pass-1\n"
    )
    assert code == 0 and out.startswith("exists: user 'root' already exists")
    code, out, _ = run(capsys, monkeypatch, "users", "create", "bob", "--password-stdin",
                       stdin="bob-password\n")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, "users", "disable", "bob")
    assert code == 0 and out.startswith("disabled: user 'bob'")
    code, out, _ = run(capsys, monkeypatch, "users", "list")
    lines = out.splitlines()
    assert lines[1].split() == ["bob", "no", "disabled"] and lines[2].split() == [
        "root", "yes", "active"]
    code, out, err = run(capsys, monkeypatch, "users", "enable", "nobody")
    assert code == 1 and "user 'nobody' not found" in err
    code, out, err = run(capsys, monkeypatch, "users", "create", "carl", "--password-stdin",
                         stdin="short\n")
    assert code == 1 and "at least 8" in err
    with pytest.raises(SystemExit, match="--password-stdin"):
        run(capsys, monkeypatch, "users", "create", "dora")

    # The password the CLI set works through the API's login code.
    from semantik.webui import accounts
    from semantik.webui.db import open_database

    conn = open_database(cli_env.database_path)
    try:
        issued = accounts.login(conn, "root", secret, jwt_secret="x" * 32, access_minutes=5,
                                refresh_days=1, source="cli-test",
                                policy=accounts.AttemptPolicy(5, 60, 3600))
        assert issued.user.is_admin
    finally:
        conn.close()
    for _, out_, err_ in [(0, out, err)]:
        assert secret not in out_ + err_


def test_check_reports_each_problem_and_exits_non_zero(cli_env, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "check", "--skip-vecpipe")
    assert code == 0, out
    assert "ok    data dir writable" in out and "ok    database ok" in out
    code, out, err = run(capsys, monkeypatch, "check")
    assert code == 1 and "FAIL  vecpipe unreachable: http://127.0.0.1:9/readyz" in out
    monkeypatch.setenv("SEMANTIK_DOCUMENTS_ROOT", str(cli_env.documents_root / "missing"))
    code, out, _ = run(capsys, monkeypatch, "check", "--skip-vecpipe")
    assert code == 1 and "FAIL  documents root not readable" in out


def test_serve_refuses_bad_process_models(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("SEMANTIK_WORKERS", "2")
    code, _, err = run(capsys, monkeypatch, "serve", "vecpipe")
    assert code == 2 and "embedded vector store can be opened by one process only" in err
    monkeypatch.delenv("SEMANTIK_JWT_SECRET")
    code, _, err = run(capsys, monkeypatch, "serve", "webui")
    assert code == 2 and "SEMANTIK_JWT_SECRET is not set" in err
    monkeypatch.setenv("SEMANTIK_CHUNK_OVERLAP_TOKENS", "100")
    code, _, err = run(capsys, monkeypatch, "users", "list")
    assert code == 2 and "CHUNK_OVERLAP_TOKENS must be smaller" in err


@pytest.fixture
def vecpipe_server(cli_env, embedder, monkeypatch):
    """vecpipe over real HTTP on a free loopback port (the CLI is an ordinary HTTP client)."""
    from semantik.vecpipe.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(cli_env, embedder=embedder)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    monkeypatch.setenv("SEMANTIK_VECPIPE_URL", url)
    yield url
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.slow
def test_collections_index_and_search_headless(cli_env, vecpipe_server, capsys, monkeypatch):
    shutil.copytree(SAMPLES, cli_env.documents_root / "docs")
    code, out, err = run(capsys, monkeypatch, "collections", "create", "docs", "--source", "docs")
    assert code == 0, err
    assert "created: collection 'docs' over 'docs' (model sentence-transformers/all-MiniLM" in out
    code, _, err = run(capsys, monkeypatch, "collections", "create", "bad", "--source", "../etc")
    assert code == 1 and "must not contain '..'" in err

    code, out, err = run(capsys, monkeypatch, "index", "docs", "--wait")
    assert code == 0, err
    assert "succeeded: 6/6 files, added 6, updated 0, skipped 0, removed 0, failed 0" in out
    code, out, _ = run(capsys, monkeypatch, "index", "docs", "--wait")
    assert "added 0, updated 0, skipped 6" in out

    code, out, err = run(capsys, monkeypatch, "search", "docs", "opening moves in chess")
    assert code == 0, err
    assert out.splitlines()[0].split()[2] == "docs:docs/chess-openings.docx"
    assert "[chess]" in out.lower()
    code, out, _ = run(capsys, monkeypatch, "search", "docs", "volcano", "--k", "2", "--json")
    import json

    result = json.loads(out)
    assert result["hits"][0]["path"] == "docs/volcanoes.pdf" and len(result["hits"]) <= 2
    code, out, _ = run(capsys, monkeypatch, "collections", "list")
    assert out.splitlines()[1].split()[:4] == ["docs", "6", out.splitlines()[1].split()[2], "0"]

    code, out, _ = run(capsys, monkeypatch, "index", "docs")
    assert code == 0 and out.startswith("queued: job 3")
    code, out, _ = run(capsys, monkeypatch, "jobs", "--collection", "docs")
    assert out.splitlines()[0].startswith("docs: job 3 queued")
