"""Molecule scenario nvidia: Debian 12 test host without a GPU (see molecule/nvidia/molecule.yml
for what is verified here and what only on real GPU hosts)."""

import json

import pytest

DRIVER_VERSION_PREFIX = "535."


def test_non_free_sources_are_added_next_to_the_hosts_own(host):
    sources = host.file("/etc/apt/sources.list.d/nvidia-driver-debian.sources")
    assert sources.exists
    assert "non-free" in sources.content_string
    assert "bookworm-updates" in sources.content_string
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources.content_string
    security = host.file("/etc/apt/sources.list.d/nvidia-driver-debian-security.sources")
    assert "bookworm-security" in security.content_string


@pytest.mark.parametrize(
    "name", ["nvidia-kernel-dkms", "nvidia-smi", "libcuda1", "libnvidia-ml1", "firmware-nvidia-gsp"]
)
def test_driver_packages_are_installed_from_the_535_branch(host, name):
    pkg = host.package(name)
    assert pkg.is_installed
    assert pkg.version.startswith(DRIVER_VERSION_PREFIX), pkg.version


def test_the_newest_driver_of_the_branch_is_installed(host):
    # bookworm's security updates carry the newer 535 build: the role must have used them.
    policy = host.check_output("apt-cache policy nvidia-smi")
    installed = host.package("nvidia-smi").version
    candidate = [ln.split()[-1] for ln in policy.splitlines() if "Candidate:" in ln][0]
    assert installed == candidate


def test_driver_packages_are_held(host):
    held = set(host.check_output("apt-mark showhold").split())
    expected = {
        "nvidia-kernel-dkms",
        "nvidia-kernel-support",
        "nvidia-smi",
        "libcuda1",
        "libnvidia-ml1",
        "firmware-nvidia-gsp",
        "nvidia-persistenced",
        "nvidia-alternative",
    }
    assert expected <= held, expected - held
    # Build tools and the toolkit's libraries are not the driver's to hold.
    assert not {"dkms", "gcc", "libnvidia-container1"} & held


def test_apt_refuses_to_change_the_held_driver(host):
    # What an unattended run would hit: apt will not touch held packages without being told to.
    out = host.run("apt-get -s -y remove nvidia-smi libcuda1")
    assert out.rc != 0
    assert "Held packages were changed" in out.stderr + out.stdout


def test_nouveau_is_blacklisted(host):
    conf = host.file("/etc/modprobe.d/nvidia-driver-blacklist-nouveau.conf")
    assert conf.exists
    assert conf.mode == 0o644
    assert "blacklist nouveau" in conf.content_string
    assert "options nouveau modeset=0" in conf.content_string


def test_persistence_daemon_is_enabled(host):
    # Not running: without a GPU there is no module for it to hold open.
    assert host.service("nvidia-persistenced").is_enabled


def test_without_gpu_the_role_records_a_clear_skip(host):
    # The role's detection and validation verdict, kept as ansible_local.nvidia_driver.
    fact = json.loads(host.file("/etc/ansible/facts.d/nvidia_driver.fact").content_string)
    assert fact["gpu_present"] is False
    assert fact["gpus"] == []
    assert fact["branch"] == "535"
    assert fact["kernel_modules"] == "proprietary"
    assert fact["validation"]["status"] == "skipped"
    assert "no NVIDIA GPU" in fact["validation"]["message"]
    # Detection agrees with the host: no PCI function of vendor 10de.
    lspci = host.run("lspci -Dmmn -d 10de:")
    assert lspci.rc == 0 and lspci.stdout.strip() == ""


def test_docker_daemon_json_keeps_the_operators_keys(host):
    data = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert data["log-driver"] == "json-file"
    assert data["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert data["live-restore"] is True
    assert data["runtimes"]["crun-test"] == {"path": "/usr/bin/true"}
    assert data["runtimes"]["nvidia"] == {"path": "nvidia-container-runtime", "args": []}
    assert data["default-runtime"] == "nvidia"


def test_the_running_docker_daemon_loaded_the_merged_settings(host):
    assert host.service("docker").is_running
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert {"nvidia", "crun-test", "runc"} <= set(info["Runtimes"])
    assert info["DefaultRuntime"] == "nvidia"
    assert info["LoggingDriver"] == "json-file"
    assert info["LiveRestoreEnabled"] is True
