"""nvidia_driver's decision logic, tested on the role's own support matrix (vars/main.yml).

The point: every OS release gets exactly the packages meant for it, and a release the role does
not know (EL10, Ubuntu 26.04, Debian 14) fails with a message instead of taking another path.
"""

import re
from pathlib import Path

import pytest
import yaml

from tests.roles.local_ansible import import_file

ROLE = Path(__file__).resolve().parents[2] / "roles" / "nvidia_driver"


F = import_file(ROLE / "filter_plugins" / "nvidia_driver.py")
VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
MATRIX = VARS["_nvidia_driver_os_matrix"]
ALIASES = VARS["_nvidia_driver_distribution_aliases"]
ARCHS = VARS["_nvidia_driver_cuda_archs"]


def facts(dist, version, arch="x86_64"):
    return {
        "distribution": dist,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0],
        "architecture": arch,
    }


def plan(dist, release, arch="x86_64", **settings):
    return F.plan(facts(dist, release, arch), MATRIX, settings, ALIASES, ARCHS)


def test_debian12_takes_non_free_535_proprietary():
    p = plan("Debian", "12.8")
    assert p["os_key"] == "debian12"
    assert p["source"] == "distribution"
    assert p["branch"] == "535"
    assert p["kernel_modules"] == "proprietary"
    assert p["packages"][0] == "nvidia-kernel-dkms"
    assert {"nvidia-smi", "libcuda1", "nvidia-persistenced"} <= set(p["packages"])
    assert p["components"] == ["contrib", "non-free", "non-free-firmware"]


def test_debian13_takes_550_and_may_use_open_modules():
    p = plan("Debian", "13.1", kernel_modules="open")
    assert p["branch"] == "550"
    assert p["packages"][0] == "nvidia-open-kernel-dkms"


def test_debian12_refuses_open_modules_out_of_lockstep():
    with pytest.raises(F.AnsibleFilterError, match="kernel_modules=proprietary"):
        plan("Debian", "12", kernel_modules="open")


def test_debian_refuses_a_branch_it_does_not_ship():
    with pytest.raises(F.AnsibleFilterError, match="branch=550 is not available .* debian12"):
        plan("Debian", "12", branch="550")


def test_debian_has_no_cuda_repo_path():
    with pytest.raises(F.AnsibleFilterError, match="source=cuda_repo is not available on debian12"):
        plan("Debian", "12", source="cuda_repo")


@pytest.mark.parametrize("version", ["22.04", "24.04"])
def test_ubuntu_lts_takes_server_packages(version):
    p = plan("Ubuntu", version, branch="570")
    assert p["os_key"] == "ubuntu" + version
    assert p["packages"] == ["nvidia-headless-570-server", "nvidia-utils-570-server"]
    # Server packages of another branch are never held by this branch's pattern.

    assert re.match(p["hold_regex"], "libnvidia-compute-570-server")
    assert re.match(p["hold_regex"], "nvidia-firmware-570-server-570.172.08")
    assert not re.match(p["hold_regex"], "libnvidia-compute-535-server")
    assert not re.match(p["hold_regex"], "libnvidia-container1")


def test_ubuntu_open_server_packages():
    p = plan("Ubuntu", "24.04", branch="580", kernel_modules="open")
    assert p["packages"][0] == "nvidia-headless-580-server-open"


def test_ubuntu_cuda_repo_auto_picks_open_from_560():
    p = plan("Ubuntu", "22.04", source="cuda_repo", branch="580")
    assert p["kernel_modules"] == "open"
    assert p["repo_dir"] == "ubuntu2204" and p["cuda_arch"] == "x86_64"
    assert p["packages"] == ["nvidia-headless-580-open", "nvidia-utils-580"]
    p = plan("Ubuntu", "22.04", source="cuda_repo", branch="535")
    assert p["kernel_modules"] == "proprietary"


def test_ubuntu_arm64_uses_the_sbsa_tree():
    assert plan("Ubuntu", "24.04", arch="aarch64", source="cuda_repo")["cuda_arch"] == "sbsa"


def test_ubuntu_interim_release_does_not_take_the_lts_path():
    with pytest.raises(F.AnsibleFilterError, match="not supported"):
        plan("Ubuntu", "24.10")


@pytest.mark.parametrize("dist", ["Rocky", "RedHat", "AlmaLinux"])
def test_el9_uses_the_cuda_repo_module_stream(dist):
    p = plan(dist, "9.4", branch="570")
    assert p["os_key"] == "rhel9"
    assert p["family"] == "dnf"
    assert p["source"] == "cuda_repo"
    assert p["module_stream"] == "570-open"
    assert p["repo_dir"] == "rhel9"
    p = plan(dist, "9.4", branch="535")
    assert p["module_stream"] == "535-dkms"


def test_el9_has_no_distribution_driver():
    with pytest.raises(F.AnsibleFilterError, match="source=distribution is not available on rhel9"):
        plan("Rocky", "9.4", source="distribution")


@pytest.mark.parametrize(
    ("dist", "version"),
    [
        ("Rocky", "10.0"),
        ("RedHat", "10.0"),
        ("Ubuntu", "26.04"),
        ("Debian", "14"),
        ("Fedora", "41"),
    ],
)
def test_unknown_releases_fail_clearly(dist, version):
    with pytest.raises(F.AnsibleFilterError, match="is not supported by this role") as err:
        plan(dist, version)
    # The message names the release and what is supported, so the operator knows what to do.
    assert dist in str(err.value) and "debian12" in str(err.value)


def test_unknown_architecture_fails_for_cuda_repo():
    with pytest.raises(F.AnsibleFilterError, match="architecture 'ppc64le'"):
        plan("Rocky", "9.4", arch="ppc64le")


def test_version_must_be_inside_the_branch():
    with pytest.raises(F.AnsibleFilterError, match="not in nvidia_driver_branch=535"):
        plan("Debian", "12", version="550.163.01")
    with pytest.raises(F.AnsibleFilterError, match="must look like"):
        plan("Debian", "12", version="535")
    assert plan("Debian", "12", version="535.309.01")["version"] == "535.309.01"


def test_bad_settings_fail():
    with pytest.raises(F.AnsibleFilterError, match="3-digit"):
        plan("Ubuntu", "24.04", branch="latest")
    with pytest.raises(F.AnsibleFilterError, match="kernel_modules must be one of"):
        plan("Debian", "12", kernel_modules="nouveau")


def test_package_specs_pin_the_driver_version_per_package_manager():
    p = plan("Debian", "12", version="535.309.01")
    specs = F.package_specs(p, "*")
    assert "nvidia-kernel-dkms=535.309.01*" in specs
    assert "libcuda1=535.309.01*" in specs
    # Debian's persistenced is versioned on its own (535.171.04): pinning it would not resolve.
    assert "nvidia-persistenced" in specs
    assert F.package_specs(plan("Debian", "12"), "*") == plan("Debian", "12")["packages"]
    p = plan("Rocky", "9.4", branch="580", version="580.95.05")
    assert F.package_specs(p, "") == ["nvidia-driver-cuda-580.95.05", "nvidia-persistenced"]


def test_debian_hold_pattern_covers_the_driver_but_not_the_toolkit():

    rx = plan("Debian", "12")["hold_regex"]
    for name in [
        "nvidia-kernel-dkms",
        "nvidia-smi",
        "libcuda1",
        "libnvidia-ml1",
        "firmware-nvidia-gsp",
        "nvidia-alternative",
        "nvidia-persistenced",
    ]:
        assert re.match(rx, name), name
    for name in [
        "libnvidia-container1",
        "libnvidia-container-tools",
        "nvidia-container-toolkit",
        "linux-headers-amd64",
        "dkms",
    ]:
        assert not re.match(rx, name), name


LSPCI = """\
0000:00:02.0 "0300" "8086" "46a6" -r0c "1028" "0b19"
0000:01:00.0 "0302" "10de" "2330" -ra1 "10de" "16c1"
0000:01:00.1 "0403" "10de" "22ba" -ra1 "10de" "16c1"
0000:41:00.0 "0300" "10DE" "2684" -ra1 -p00 "1043" "889d"
0000:41:00.2 "0c03" "10de" "1ad8" -ra1 -p30 "1043" "889d"
"""


def test_gpu_detection_counts_display_and_3d_functions_only():
    gpus = F.gpus(LSPCI)
    assert [g["slot"] for g in gpus] == ["0000:01:00.0", "0000:41:00.0"]
    assert gpus[0]["device_id"] == "2330" and gpus[1]["device_id"] == "2684"
    assert F.gpus("") == []
    assert F.gpus(None) == []


def test_gpu_detection_reads_the_sysfs_fallback_format():
    # preflight.yml prints class[2:6] of sysfs's 0x030200 in lspci's layout.
    assert F.gpus('0000:ca:00.0 "0302" "10de" "2335"\n')[0]["slot"] == "0000:ca:00.0"


def test_kernel_headers():
    deb = plan("Debian", "12")
    assert F.headers("6.1.0-28-amd64", deb) == [
        "linux-headers-6.1.0-28-amd64",
        "linux-headers-amd64",
    ]
    assert F.headers("6.1.0-28-cloud-amd64", deb)[-1] == "linux-headers-cloud-amd64"
    ubu = plan("Ubuntu", "24.04")
    assert F.headers("6.8.0-1015-aws", ubu) == ["linux-headers-6.8.0-1015-aws", "linux-headers-aws"]
    # A kernel release without a flavour (custom build) gets only its own headers.
    assert F.headers("6.18.44-fc-v657", deb) == ["linux-headers-6.18.44-fc-v657"]
    el = plan("Rocky", "9.4")
    assert F.headers("5.14.0-427.el9.x86_64", el)[0] == "kernel-devel-5.14.0-427.el9.x86_64"


def test_version_of_and_key_values():
    assert F.version_of("535.309.01-0+deb12u1") == "535.309.01"
    assert F.version_of("3:580.95.05-1.el9") == "580.95.05"
    assert F.version_of("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14") == "550.54.14"
    assert F.version_of("none") == ""
    assert F.key_values(["module=535.309.01", "smi=Failed: a=b", "junk"]) == {
        "module": "535.309.01",
        "smi": "Failed: a=b",
    }


def test_validation_verdicts():
    ok = F.judge(
        ["module=535.309.01", "smi_rc=0", "smi=535.309.01", "gpu=NVIDIA H100", "gpus=8"], True
    )
    assert ok["status"] == "ok" and ok["gpus"] == "8"
    # After an unattended upgrade of the libraries under the old module.
    bad = F.judge(
        [
            "module=535.261.03",
            "smi_rc=18",
            "smi=Failed to initialize NVML: Driver/library version mismatch",
        ],
        True,
    )
    assert bad["status"] == "mismatch" and "535.261.03" in bad["message"]
    assert (
        F.judge(["module=", "smi_rc=9", "smi=NVIDIA-SMI has failed"], True)["status"] == "mismatch"
    )
    assert F.judge(["module=550.1", "smi_rc=0", "smi=535.2"], True)["status"] == "mismatch"
    assert F.judge([], False)["status"] == "skipped"
    assert F.judge([], True, reboot_pending=True)["status"] == "reboot-pending"


def test_el9_hold_pattern():
    rx = plan("Rocky", "9.4", branch="570")["hold_regex"]
    for name in [
        "nvidia-driver",
        "nvidia-driver-cuda-libs",
        "kmod-nvidia-open-dkms",
        "libnvidia-ml",
    ]:
        assert re.match(rx, name), name
    for name in ["libnvidia-container1", "nvidia-container-toolkit", "kernel-devel"]:
        assert not re.match(rx, name), name
