"""Role documentation stays true: the generated variables sections (roles/*/README.md,
docs/variables.md) match meta/argument_specs.yml, and defaults/main.yml and argument_specs name
the same variables. New roles under roles/ are checked without being listed here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.roles.local_ansible import import_file

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen-role-docs.py"
ROLES = sorted(p.parent for p in ROOT.glob("roles/*/tasks"))


def _generator():
    return import_file(SCRIPT)


def test_every_role_has_argument_specs_and_a_readme():
    missing = [
        str(p.relative_to(ROOT))
        for role in ROLES
        for p in (role / "meta" / "argument_specs.yml", role / "README.md")
        if not p.is_file()
    ]
    assert not missing, f"missing: {missing} (a README with the variables markers; then make docs)"


def test_generated_variable_docs_are_current():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, f"{out.stdout}{out.stderr}fix: make docs (scripts/gen-role-docs.py)"


def test_the_check_names_a_stale_readme(tmp_path):
    gen = _generator()
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: Demo\n    options:\n"
        "      demo_port:\n        type: int\n        default: 80\n"
        "        description: Port O(demo_port) | listens on.\n"
    )
    (role / "README.md").write_text(f"# demo\n\n{gen.BEGIN}\nold\n{gen.END}\n\nTail.\n")
    text = gen.expected(tmp_path)[role / "README.md"]
    assert "| `demo_port` | int | `80` | Port `demo_port` \\| listens on. |" in text
    assert text.startswith("# demo\n\n") and text.endswith(f"{gen.END}\n\nTail.\n")
    assert "## demo" in gen.expected(tmp_path)[tmp_path / "docs" / "variables.md"]
    (role / "README.md").write_text("# demo\n")
    with pytest.raises(ValueError, match="BEGIN VARIABLES"):
        gen.expected(tmp_path)


def _commented_names(text: str) -> set[str]:
    return {
        name
        for line in text.splitlines()
        if line.lstrip().startswith("#")
        for name in re.findall(r"`([a-z0-9_]+)`", line)
    }


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_and_argument_specs_name_the_same_variables(role):
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    documented = set(specs["main"].get("options") or {})
    defaults_text = (role / "defaults" / "main.yml").read_text()
    defaults = set(yaml.safe_load(defaults_text) or {})
    # A per-host variable unset on purpose is named in a defaults comment instead.
    unset_on_purpose = _commented_names(defaults_text)
    assert not defaults - documented, (
        f"in defaults/main.yml, not in argument_specs: {defaults - documented}"
    )
    undocumented = documented - defaults - unset_on_purpose
    assert not undocumented, f"in argument_specs, not in defaults/main.yml: {undocumented}"
    assert all(name.startswith(f"{role.name}_") for name in documented), "role-prefixed names"
