"""docker role and the compose runtime of role semantik, preflight on the controller (Debian 12):
wrong combinations fail early naming the variable, before anything changes; right ones pass.
The real roles, only their preflight stage (--tags, --check) against a local connection."""

from pathlib import Path

import pytest

from tests.roles.local_ansible import PLAYBOOK, run_preflight

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")


def is_bookworm():
    return Path("/etc/debian_version").read_text().startswith("12")


@pytest.mark.skipif(not is_bookworm(), reason="the controller is not Debian 12")
def test_distribution_docker_on_debian_12_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "docker")  # default: distribution
    assert rc != 0
    assert "use docker_install_source=upstream there" in text, text


def test_upstream_docker_passes(tmp_path):
    rc, text = run_preflight(tmp_path, "docker", docker_install_source="upstream")
    assert rc == 0, text


def test_unknown_docker_install_source_fails(tmp_path):
    rc, text = run_preflight(tmp_path, "docker", docker_install_source="snap")
    assert rc != 0
    assert "docker_install_source" in text and "snap" in text


COMPOSE = {
    "semantik_runtime": "compose",
    "semantik_vecpipe_enabled": "true",
    "semantik_webui_enabled": "true",
    "semantik_admin_password": "long-enough-password",
}


def test_compose_runtime_passes(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **COMPOSE)
    assert rc == 0, text


def test_compose_with_qdrant_and_no_image_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **COMPOSE, semantik_vector_store="qdrant")
    assert rc != 0
    assert "semantik_vector_store=qdrant needs semantik_compose_qdrant_image" in text


def test_compose_split_services_fail(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **{**COMPOSE, "semantik_webui_enabled": "false"})
    assert rc != 0
    assert "semantik_runtime=compose runs both services on one host" in text


def test_unknown_runtime_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **{**COMPOSE, "semantik_runtime": "podman"})
    assert rc != 0
    # The argument spec (choices) refuses it before preflight's own assert.
    assert "semantik_runtime" in text and "podman" in text and "compose" in text, text
