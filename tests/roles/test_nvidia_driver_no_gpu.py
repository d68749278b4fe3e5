"""nvidia_driver on a host without a GPU (this machine): the real role, detection and validation
only, in check mode against localhost. It skips with a message, or fails when a GPU is required."""

import subprocess
from pathlib import Path

import pytest

from tests.roles.local_ansible import PLAYBOOK, isolated_env


def _has_nvidia_gpu():
    for vendor in Path("/sys/bus/pci/devices").glob("*/vendor"):
        if vendor.read_text().strip() == "0x10de":
            return True
    return False


pytestmark = [
    pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed"),
    pytest.mark.skipif(_has_nvidia_gpu(), reason="this host has an NVIDIA GPU"),
]


def run_role(tmp_path, *extra):
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: true\n  roles: [{role: nvidia_driver}]\n")
    env = isolated_env(tmp_path)
    return subprocess.run(
        [
            PLAYBOOK,
            "-i",
            "localhost,",
            "-c",
            "local",
            "--check",
            "--tags",
            "nvidia_driver_detect,nvidia_driver_validate",
            "-e",
            "ansible_python_interpreter={{ ansible_playbook_python }}",
            *extra,
            str(play),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_no_gpu_skips_with_a_clear_message(tmp_path):
    out = run_role(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    text = " ".join(out.stdout.split())
    assert "nvidia_driver validation SKIPPED on localhost: no NVIDIA GPU on this host" in text


def test_no_gpu_fails_when_a_gpu_is_required(tmp_path):
    out = run_role(tmp_path, "-e", "nvidia_driver_required=true")
    assert out.returncode != 0
    text = " ".join(out.stdout.split())
    assert "no NVIDIA GPU found on localhost" in text
    assert "nvidia_driver_required is true" in text
