"""semantik_offline (an air-gapped site), preflight on the controller: a download outside the
bundle without its checksum variable, a model from the hub, or a missing bundle fail early naming
the variable; the real roles, only their preflight stage (--tags, --check), local connection."""

from pathlib import Path

import pytest

from tests.roles.local_ansible import PLAYBOOK, REPO, run_preflight

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

KEY_SHA = "sha256:" + "0" * 64


def test_offline_upstream_docker_without_key_checksum_fails_naming_it(tmp_path):
    rc, text = run_preflight(
        tmp_path, "docker", semantik_offline="true", docker_install_source="upstream"
    )
    assert rc != 0
    assert "set docker_upstream_key_checksum" in text, text


def test_offline_upstream_docker_with_key_checksum_passes(tmp_path):
    rc, text = run_preflight(
        tmp_path,
        "docker",
        semantik_offline="true",
        docker_install_source="upstream",
        docker_upstream_key_checksum=KEY_SHA,
    )
    assert rc == 0, text


def test_offline_toolkit_without_key_checksum_fails_naming_it(tmp_path):
    rc, text = run_preflight(
        tmp_path,
        "nvidia_container_toolkit",
        semantik_offline="true",
        nvidia_container_toolkit_install_without_gpu="true",
        nvidia_container_toolkit_docker_configure="false",
    )
    assert rc != 0
    assert "set nvidia_container_toolkit_repo_key_checksum" in text, text


def test_offline_semantik_with_the_model_from_the_hub_fails_naming_it(tmp_path):
    rc, text = run_preflight(
        tmp_path,
        "semantik",
        semantik_offline="true",
        semantik_model_source="hub",
        semantik_webui_enabled="true",
        semantik_admin_password="long-enough-password",  # pragma: allowlist secret
    )
    assert rc != 0
    assert "semantik_model_source=package" in text, text


def test_offline_bundle_missing_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "bundle", semantik_offline="true", bundle_dir=str(tmp_path))
    assert rc != 0
    assert "(bundle_dir) has no apt/" in text and "make bundle" in text, text


@pytest.mark.skipif(
    not (REPO / "build/bundle/MANIFEST.sha256").exists(), reason="no bundle built (make bundle)"
)
def test_offline_bundle_built_here_passes(tmp_path):
    if Path("/etc/debian_version").read_text().split(".")[0] not in ("12", "13"):
        pytest.skip("the controller is not Debian 12 or 13")
    rc, text = run_preflight(tmp_path, "bundle", semantik_offline="true")
    assert rc == 0, text


def test_bundle_does_nothing_when_not_offline(tmp_path):
    rc, text = run_preflight(tmp_path, "bundle", bundle_dir=str(tmp_path))
    assert rc == 0 and "skipping" in text, text
