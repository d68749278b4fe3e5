"""Shared helpers of the monitoring tests: promtool and the alert rules rendered as the role does.

The prometheus role renders its rules template with double square brackets as Ansible's variable
delimiters (so Prometheus' own `{{ $labels }}` stay literal); rendering it here with the role's
defaults gives exactly the file a host gets without overrides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "prometheus"
RULES_TEMPLATE = ROLE / "templates" / "semantik-alerts.yml.j2"
RULES_NAME = "semantik-alerts.yml"


def promtool() -> str:
    """promtool's path; CI (CI=true) fails without it, elsewhere the test skips."""
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: apt-get install --no-install-recommends prometheus")
        pytest.skip("promtool is missing (apt-get install --no-install-recommends prometheus)")
    return path


def role_defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render_rules(dest_dir: Path, **overrides: object) -> Path:
    env = jinja2.Environment(  # noqa: S701 - YAML out, not HTML
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = env.from_string(RULES_TEMPLATE.read_text())
    values = {**role_defaults(), "ansible_managed": "rendered by tests/monitoring", **overrides}
    out = dest_dir / RULES_NAME
    out.write_text(template.render(**values))
    return out


def run_promtool(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [promtool(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )
