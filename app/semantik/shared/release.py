"""The release this process runs: version and build id.

The semantik role installs each release into its own venv, /opt/semantik/releases/<version>-<build
id>/venv, and writes RELEASE_FILE into that venv; the build id is a content hash of what was
installed (the wheelhouse). A source checkout or a plain pip install has no such file and reports
build "dev".
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from semantik import __version__

RELEASE_FILE = "semantik-release.json"


@dataclass(frozen=True)
class Release:
    version: str
    build: str

    @property
    def name(self) -> str:
        return f"{self.version}-{self.build}"


def current_release(prefix: Path | None = None) -> Release:
    """The release of the venv at `prefix` (default: the running interpreter's)."""
    path = Path(prefix or sys.prefix) / RELEASE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Release(version=str(data["version"]), build=str(data["build"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Release(version=__version__, build="dev")
