"""ansible-playbook runs of the repository's roles on this machine, inside a test's tmp_path."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The venv's ansible-playbook, next to the interpreter running the tests.
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent))


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Write a minimal ansible.cfg in tmp_path; return an environment that uses it, the
    repository's roles and modules, and keeps Ansible's home and temporary files inside tmp_path."""
    (tmp_path / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = False\n")
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
        "ANSIBLE_LIBRARY": str(REPO / "plugins" / "modules"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }


def run_role_check(
    tmp_path: Path, role: str, tags: str, *extra: str, facts: str = "min"
) -> subprocess.CompletedProcess:
    """The real role against this machine (local connection), only `tags`, in --check mode."""
    play = tmp_path / "play.yml"
    play.write_text(
        f"- hosts: localhost\n  gather_facts: true\n  gather_subset: [{facts}]\n"
        f"  roles: [{{role: {role}}}]\n"
    )
    return subprocess.run(
        [PLAYBOOK, "-i", "localhost,", "-c", "local", "--check", "--tags", tags,
         "-e", "ansible_python_interpreter={{ ansible_playbook_python }}", *extra, str(play)],
        cwd=tmp_path, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


def run_preflight(tmp_path: Path, role: str, tags: str = "", **variables: str) -> tuple[int, str]:
    """The role's preflight stage (or `tags`) with these extra vars: (exit status, output on one
    line, so a message wrapped by Ansible still matches)."""
    extra = [arg for name, value in variables.items() for arg in ("-e", f"{name}={value}")]
    out = run_role_check(tmp_path, role, tags or f"{role}_preflight", *extra)
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def import_file(path: Path):
    """A Python file of the repository (a filter plugin, a script) as a module."""
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
