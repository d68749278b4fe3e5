"""ansible-playbook runs of the repository's roles on this machine, inside a test's tmp_path."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The venv's ansible-playbook, next to the interpreter running the tests.
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent))


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Write a minimal ansible.cfg in tmp_path; return an environment that uses it, the
    repository's roles, and keeps Ansible's home and temporary files inside tmp_path."""
    (tmp_path / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = False\n")
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
