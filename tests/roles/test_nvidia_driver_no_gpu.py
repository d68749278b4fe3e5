"""nvidia_driver on a host without a GPU (this machine): the real role, detection and validation
only, in check mode against localhost. It skips with a message, or fails when a GPU is required."""

from pathlib import Path

import pytest

from tests.roles.local_ansible import PLAYBOOK, run_role_check


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
    tags = "nvidia_driver_detect,nvidia_driver_validate"
    return run_role_check(tmp_path, "nvidia_driver", tags, *extra, facts="all")


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
