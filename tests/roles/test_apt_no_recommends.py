"""Every package a role installs on Debian comes without Recommends.

Recommends pull in what nothing here uses (cron's exim4 + bsd-mailx, an MTA listening on port 25).
ansible-lint has no rule for this, so the role task files themselves are read: every apt task that
installs something must say `install_recommends: false`, and the generic package module (which
cannot say it) may only run on non-Debian systems.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.roles.local_ansible import REPO

APT = {"ansible.builtin.apt", "apt"}
PACKAGE = {"ansible.builtin.package", "package"}


def tasks_in(items):
    """Every task in a task list, blocks included."""
    for task in items or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            yield from tasks_in(task.get(key))
        yield task


def role_task_files() -> list[Path]:
    return sorted(
        p for d in ("tasks", "handlers") for p in REPO.glob(f"roles/*/{d}/**/*.yml")
    )


def installs(args: dict) -> bool:
    return bool(args.get("name") or args.get("pkg") or args.get("deb")) and args.get(
        "state", "present"
    ) in ("present", "latest", "fixed")


def offenders() -> list[str]:
    found = []
    for path in role_task_files():
        for task in tasks_in(yaml.safe_load(path.read_text())):
            where = f"{path.relative_to(REPO)}: {task.get('name', '?')}"
            for module in APT & task.keys():
                args = task[module] if isinstance(task[module], dict) else {}
                if installs(args) and args.get("install_recommends") is not False:
                    found.append(f"{where}: apt without install_recommends: false")
            if PACKAGE & task.keys() and "!= 'Debian'" not in str(task.get("when", "")):
                found.append(f"{where}: package module on Debian (use apt, no Recommends)")
    return found


def test_the_scan_reads_the_roles():
    # A scan that finds no apt task at all would pass vacuously.
    apt_tasks = [
        t
        for p in role_task_files()
        for t in tasks_in(yaml.safe_load(p.read_text()))
        if APT & t.keys()
    ]
    assert len(apt_tasks) >= 8, apt_tasks


def test_no_role_installs_recommends():
    assert offenders() == []


@pytest.mark.parametrize(
    ("task", "bad"),
    [
        ({"ansible.builtin.apt": {"name": "cron", "state": "present"}}, True),
        ({"ansible.builtin.apt": {"name": "cron", "install_recommends": False}}, False),
        ({"ansible.builtin.apt": {"name": "exim4", "state": "absent"}}, False),
        ({"ansible.builtin.package": {"name": "cron"}}, True),
    ],
)
def test_the_rule_itself(task, bad, tmp_path, monkeypatch):
    role = tmp_path / "roles" / "r" / "tasks"
    role.mkdir(parents=True)
    (role / "main.yml").write_text(yaml.safe_dump([{"name": "t", **task}]))
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    assert bool(offenders()) is bad
