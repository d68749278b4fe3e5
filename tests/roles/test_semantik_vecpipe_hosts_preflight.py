"""Role semantik's preflight on the controller: the embedded store refuses a 'vecpipe' group of
several hosts (each would keep its own index), saying why; a Qdrant server allows them.
The real role, only its preflight stage (--tags, --check) against a local connection; the other
vecpipe host is only named in the inventory, never contacted."""

from pathlib import Path

import pytest

from tests.roles.local_ansible import PLAYBOOK, run_role_check

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")


def _preflight(tmp_path: Path, vecpipe_hosts: list[str], **variables: str) -> tuple[int, str]:
    inventory = tmp_path / "hosts.yml"
    members = "".join(f"        {h}:\n" for h in vecpipe_hosts)
    inventory.write_text(
        "all:\n  hosts:\n    localhost: {ansible_connection: local}\n"
        f"  children:\n    vecpipe:\n      hosts:\n{members}"
    )
    extra = ["-i", str(inventory)]
    variables.setdefault("semantik_admin_password", "long-enough-password")
    for name, value in variables.items():
        extra += ["-e", f"{name}={value}"]
    out = run_role_check(tmp_path, "semantik", "semantik_preflight", *extra)
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def test_embedded_store_with_two_vecpipe_hosts_fails_saying_why(tmp_path):
    rc, text = _preflight(tmp_path, ["localhost", "gpu2"], semantik_vector_store="embedded")
    assert rc != 0
    assert "semantik_vector_store=embedded with 2 hosts in the 'vecpipe' group" in text, text
    assert "localhost, gpu2" in text and "each host would keep its own separate index" in text


def test_embedded_store_with_one_vecpipe_host_passes(tmp_path):
    rc, text = _preflight(tmp_path, ["localhost"], semantik_vector_store="embedded")
    assert rc == 0, text


def test_qdrant_store_with_two_vecpipe_hosts_passes(tmp_path):
    rc, text = _preflight(
        tmp_path,
        ["localhost", "gpu2"],
        semantik_vector_store="qdrant",
        semantik_qdrant_url="http://10.0.1.21:6333",
    )
    assert rc == 0, text
