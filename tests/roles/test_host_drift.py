"""plugins/modules/host_drift.py, run by Ansible on this machine: what it reports as drifted or
missing, and that it changes nothing."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from tests.roles.local_ansible import isolated_env

ANSIBLE = shutil.which("ansible", path=str(Path(sys.executable).parent))


def run_module(tmp_path: Path, **args) -> dict:
    out = subprocess.run(
        [ANSIBLE, "localhost", "-i", "localhost,", "-c", "local", "-m", "host_drift",
         "-a", json.dumps(args), "-e", "ansible_python_interpreter={{ ansible_playbook_python }}"],
        cwd=tmp_path, env={**isolated_env(tmp_path), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def owner_group(path: Path) -> str:
    st = path.stat()
    return f"{pwd.getpwuid(st.st_uid).pw_name}:{grp.getgrgid(st.st_gid).gr_name}"


def test_reports_only_what_differs_and_changes_nothing(tmp_path):
    work = tmp_path / "work"
    work.mkdir(mode=0o750)
    os.chmod(work, 0o750)
    good = work / "good.conf"
    good.write_text("wanted\n")
    os.chmod(good, 0o640)
    edited = work / "edited.conf"
    edited.write_text("changed by hand\n")
    os.chmod(edited, 0o640)
    loose = work / "loose.conf"
    loose.write_text("wanted\n")
    os.chmod(loose, 0o644)
    stray = work / "stray"
    stray.symlink_to("nowhere")
    who = owner_group(good)
    sha = hashlib.sha1(b"wanted\n").hexdigest()  # noqa: S324 - the module's fingerprint

    result = run_module(tmp_path, packages=["dpkg", "no-such-package-here"], entries=[
        [str(work), f"{who}:0750", "dir"],
        [str(good), f"{who}:640", sha],
        [str(edited), f"{who}:640", sha],
        [str(loose), f"{who}:640", sha],
        [str(work / "missing.conf"), f"{who}:640", sha],
        [str(work / "gone"), "", "absent"],
        [str(stray), "", "absent"],
        [str(good), f"{who}:640", "dir"],
    ])  # fmt: skip

    assert result["changed"] is False
    assert result["missing"] == ["no-such-package-here"]
    assert result["drifted"] == [
        str(edited),
        str(loose),
        str(work / "missing.conf"),
        str(stray),
        str(good),
    ]
    assert edited.read_text() == "changed by hand\n" and stray.is_symlink()


def test_a_malformed_entry_fails_naming_it(tmp_path):
    out = subprocess.run(
        [ANSIBLE, "localhost", "-i", "localhost,", "-c", "local", "-m", "host_drift",
         "-a", json.dumps({"entries": [["/etc/hostname", "root:root:644"]]}),
         "-e", "ansible_python_interpreter={{ ansible_playbook_python }}"],
        cwd=tmp_path, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "an entry is [name, owner:group:mode, wanted]" in out.stdout + out.stderr


def test_users_groups_files_and_units(tmp_path):
    """The kinds that stand for a module's whole check: a user's group, home, shell and comment; a
    group; a regular file whatever its content; a unit enabled or active (systemctl answers
    "offline" or fails where systemd does not run: then the unit is drifted, never found)."""
    me = pwd.getpwuid(os.getuid())
    primary = grp.getgrgid(me.pw_gid).gr_name
    secret = tmp_path / "secret"
    secret.write_text("anything\n")
    os.chmod(secret, 0o600)
    who = owner_group(secret)

    result = run_module(tmp_path, entries=[
        [me.pw_name, f"{primary}:{me.pw_dir}:{me.pw_shell}", "user"],
        [me.pw_name, f"{primary}:{me.pw_dir}:{me.pw_shell}:{me.pw_gecos}", "user"],
        [me.pw_name, f"{primary}:/elsewhere:{me.pw_shell}", "user"],
        [me.pw_name, f"{primary}:{me.pw_dir}:{me.pw_shell}:not {me.pw_gecos}", "user"],
        ["no-such-user-here", f"{primary}:/:/bin/sh", "user"],
        [primary, "", "group"],
        ["no-such-group-here", "", "group"],
        [str(secret), f"{who}:600", "file"],
        [str(secret), f"{who}:640", "file"],
        [str(tmp_path), f"{who}:700", "file"],
        ["no-such-unit-here.service", "", "enabled"],
        ["no-such-unit-here.service", "", "active"],
    ])  # fmt: skip

    assert result["changed"] is False
    assert result["drifted"] == [
        me.pw_name,
        me.pw_name,
        "no-such-user-here",
        "no-such-group-here",
        str(secret),
        str(tmp_path),
        "no-such-unit-here.service",
        "no-such-unit-here.service",
    ]
