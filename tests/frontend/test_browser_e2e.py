"""Browser end-to-end: real vecpipe (test model, embedded store) and real webui as processes on
loopback (`semantik serve`), then app/frontend/e2e/run.mjs drives Debian's chromium through
them: sign in, create a collection over a folder, watch it index, search (one result per
document, the answer marked, no good match for nonsense, More results), preview a document at
its passage and share the link, download, users, token refresh, a revoked session, phone layout.
Screenshots land in out/screenshots/ (gitignored; CI keeps them as artifacts).

Needs node, app/frontend/node_modules (npm ci) and /usr/bin/chromium. Without them the test is
skipped, unless SEMANTIK_E2E_REQUIRED=1 (``make e2e`` sets it), where it fails instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "app" / "frontend"
SAMPLES = REPO / "app" / "sample_documents"
SCREENSHOTS = Path(os.environ.get("SEMANTIK_E2E_SCREENSHOTS", REPO / "out" / "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TEST_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
ADMIN = "e2e-admin"
STARTUP_SECONDS = 180
# The `semantik` command of the interpreter running the tests (the venv's).
SEMANTIK = str(Path(sys.executable).parent / "semantik")

pytestmark = pytest.mark.slow


def _missing_prerequisites() -> list[str]:
    missing = []
    if not shutil.which("node"):
        missing.append("node")
    if not (FRONTEND / "node_modules" / "playwright-core").is_dir():
        missing.append("app/frontend/node_modules (run `make frontend`)")
    if not Path(CHROMIUM).is_file():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    return missing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, procs: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                pytest.fail(f"{log.stem} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not ready after {STARTUP_SECONDS}s:\n" + "\n".join(
        f"--- {log.stem}\n{log.read_text()[-3000:]}" for log in logs
    ))


@pytest.fixture
def stack(tmp_path: Path, model_dir: Path) -> Iterator[dict[str, str]]:
    """vecpipe + webui started as an operator would: `semantik serve`, configured by SEMANTIK_*
    variables and secret files, the admin made with `semantik users create`."""
    documents = tmp_path / "documents"
    library = documents / "library"
    shutil.copytree(SAMPLES, library)
    (library / "empty.txt").write_text("")  # no text: must show up as a per-file error
    # Five notes on one topic the samples do not touch: enough good matches to page through.
    (library / "tides").mkdir()
    for n in range(5):
        (library / "tides" / f"tides-{n}.txt").write_text(
            f"Tide table for harbour {n}\n\nHigh water at the harbour is at {6 + n}:10 and "
            f"low water at {12 + n}:25; spring tides raise the sea {2 + n / 10:.1f} metres, so "
            "boats leave the harbour on the ebbing tide."
        )
    (documents / "other").mkdir()
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    for name in ("jwt_secret", "internal_api_key"):
        (secrets_dir / name).write_text(secrets.token_urlsafe(48))
        (secrets_dir / name).chmod(0o600)
    vecpipe_port, webui_port = _free_port(), _free_port()
    admin_password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SEMANTIK_DATA_DIR": str(tmp_path / "data"),
        "SEMANTIK_DOCUMENTS_ROOT": str(documents),
        "SEMANTIK_SECRETS_DIR": str(secrets_dir),
        "SEMANTIK_MODEL_NAME": TEST_MODEL,
        "SEMANTIK_MODEL_PATH": str(model_dir),
        "SEMANTIK_DEVICE": "cpu",
        "SEMANTIK_VECPIPE_PORT": str(vecpipe_port),
        "SEMANTIK_WEBUI_PORT": str(webui_port),
        "SEMANTIK_VECPIPE_URL": f"http://127.0.0.1:{vecpipe_port}",
        "SEMANTIK_WORKERS": "1",
    }
    env.pop("SEMANTIK_ENV_FILE", None)
    (tmp_path / "data").mkdir()
    subprocess.run(
        [SEMANTIK, "users", "create", ADMIN, "--admin", "--password-stdin"],
        input=admin_password, text=True, env=env, check=True, capture_output=True,
    )

    procs: list[subprocess.Popen] = []
    logs: list[Path] = []
    for name in ("vecpipe", "webui"):
        log = tmp_path / f"{name}.log"
        logs.append(log)
        procs.append(subprocess.Popen(
            [SEMANTIK, "serve", name], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            cwd=tmp_path,
        ))
    try:
        _wait_ready(f"http://127.0.0.1:{webui_port}/readyz", procs, logs)
        yield {
            "url": f"http://127.0.0.1:{webui_port}",
            "password": admin_password,
            "logs": "\n".join(str(p) for p in logs),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def browser_ready() -> None:
    missing = _missing_prerequisites()
    if missing:
        message = "browser e2e needs " + ", ".join(missing)
        if os.environ.get("SEMANTIK_E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)


# browser_ready comes first: no services are started when the browser cannot run.
def test_browser_end_to_end(browser_ready: None, stack: dict[str, str]) -> None:
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    env = {
        **os.environ,
        "SEMANTIK_E2E_URL": stack["url"],
        "SEMANTIK_E2E_USER": ADMIN,
        "SEMANTIK_E2E_PASSWORD": stack["password"],
        "SEMANTIK_E2E_FOLDER": "library",
        "SEMANTIK_E2E_QUERY": "how do bees tell each other where the flowers are",
        "SEMANTIK_E2E_EXPECT": "library/honeybees.txt|waggle dance",
        "SEMANTIK_E2E_SCREENSHOTS": str(SCREENSHOTS),
        "CHROMIUM": CHROMIUM,
    }
    result = subprocess.run(
        ["node", str(FRONTEND / "e2e" / "run.mjs")], env=env, capture_output=True, text=True,
        timeout=600,
    )
    print(result.stdout)
    assert result.returncode == 0, (
        f"browser e2e failed:\n{result.stdout}\n{result.stderr}\nservice logs: {stack['logs']}"
    )
    shots = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert any("search-results" in s for s in shots), shots
    assert any("indexing" in s for s in shots), shots
