"""The docs a newcomer reads point at files that exist in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked(pattern: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", pattern],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [ROOT / line for line in out.stdout.splitlines()]


def test_markdown_links_resolve_inside_the_repository():
    broken = []
    for doc in _tracked("*.md"):
        if "node_modules" in doc.parts:
            continue
        for target in LINK.findall(doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a URL
            path = (doc.parent / target).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_nothing_points_outside_the_repository():
    outside = "../" + "shared/"  # the design notes that lived next to the repository once
    hits = [
        str(p.relative_to(ROOT))
        for p in _tracked("*")
        if p.is_file()
        and p.suffix not in {".png", ".tar", ".gz", ".woff2"}
        and outside in p.read_text(errors="ignore")
    ]
    assert not hits, f"refer to docs/ instead: {hits}"
