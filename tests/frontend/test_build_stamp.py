"""The committed frontend build (app/semantik/webui/static) must match the frontend sources.

app/frontend/scripts/stamp.mjs writes build-info.json after each `vite build`; this recomputes its
digest in Python (same recipe) so a stale build fails CI without needing Node.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "app" / "frontend"
STATIC = REPO / "app" / "semantik" / "webui" / "static"
ROOT_FILES = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"]


def _is_test(path: str) -> bool:
    return path.endswith((".test.ts", ".test.tsx")) or path.startswith("src/test/")


def source_digest(frontend: Path = FRONTEND) -> str:
    src = [p.relative_to(frontend).as_posix() for p in (frontend / "src").rglob("*") if p.is_file()]
    files = sorted(ROOT_FILES + [p for p in src if not _is_test(p)])
    lines = "".join(
        f"{p}\0{hashlib.sha256((frontend / p).read_bytes()).hexdigest()}\n" for p in files
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def test_committed_build_matches_sources() -> None:
    info = json.loads((STATIC / "build-info.json").read_text())
    assert info["source_sha256"] == source_digest(), (
        "app/semantik/webui/static is stale: the frontend sources changed since the last build. "
        "Run `make frontend` and commit app/semantik/webui/static."
    )


def test_build_has_an_entry_page_and_its_assets() -> None:
    index = (STATIC / "index.html").read_text()
    # Relative asset URLs keep the app working behind a proxy sub-path.
    referenced = [part.split('"')[0] for part in index.split('="./')[1:]]
    assert referenced, "index.html references no assets"
    for asset in referenced:
        assert (STATIC / asset).is_file(), f"index.html references missing {asset}"


def test_digest_changes_with_a_source_edit(tmp_path: Path) -> None:
    copy = tmp_path / "frontend"
    for name in ROOT_FILES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((FRONTEND / name).read_bytes())
    (copy / "src").mkdir()
    (copy / "src" / "main.tsx").write_text("one")
    (copy / "src" / "main.test.tsx").write_text("tests do not count")
    before = source_digest(copy)
    (copy / "src" / "main.test.tsx").write_text("edited test")
    assert source_digest(copy) == before
    (copy / "src" / "main.tsx").write_text("two")
    assert source_digest(copy) != before

