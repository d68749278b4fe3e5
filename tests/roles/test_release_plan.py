"""Role semantik names a release on the controller before anything is copied
(tasks/release_plan.yml): <version of the semantik wheel in the wheelhouse>-<12 hex of a content
hash>; the same archive gives the same name (the fast no-op), another archive another build id."""

import re
import subprocess
import tarfile

import pytest

from tests.roles.local_ansible import PLAYBOOK, isolated_env

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.stat: {path: "%s", get_checksum: true, checksum_algorithm: sha1}
      register: __semantik_wheelhouse_stat
    - ansible.builtin.include_role: {name: semantik, tasks_from: release_plan.yml}
    - ansible.builtin.debug: {msg: "RELEASE=<{{ _semantik_release }}>"}
"""


def wheelhouse(path, version: str, extra: bytes = b"") -> None:
    src = path.parent / f"semantik-{version}-py3-none-any.whl"
    src.write_bytes(b"wheel" + extra)
    with tarfile.open(path, "w") as tar:
        tar.add(src, arcname=f"./{src.name}")


def release(tmp_path, archive) -> str:
    play = tmp_path / "play.yml"
    play.write_text(PLAY % archive)
    out = subprocess.run(
        [PLAYBOOK, "-i", "localhost,", "-c", "local",
         "-e", f"semantik_wheelhouse_archive={archive}",
         "-e", "ansible_python_interpreter={{ ansible_playbook_python }}", str(play)],
        cwd=tmp_path, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=300,
        check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return re.search(r"RELEASE=<([^>]*)>", out.stdout).group(1)


def test_release_is_version_and_content_hash(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    wheelhouse(tmp_path / "a" / "wh.tar", "1.2.3")
    wheelhouse(tmp_path / "b" / "wh.tar", "1.2.3", extra=b"rebuilt")
    first = release(tmp_path, tmp_path / "a" / "wh.tar")
    assert re.fullmatch(r"1\.2\.3-[0-9a-f]{12}", first), first
    assert release(tmp_path, tmp_path / "a" / "wh.tar") == first
    other = release(tmp_path, tmp_path / "b" / "wh.tar")
    assert other.startswith("1.2.3-") and other != first
