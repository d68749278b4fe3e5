"""Pure decision logic of the nvidia_driver role, kept here so pytest can test it directly.

Filters:
  nvidia_driver_plan      OS facts + support matrix (vars/main.yml) + operator settings
                          -> what to install from where; unknown OS/branch/source -> clear error
  nvidia_driver_gpus      `lspci -Dmmn -d 10de:` output -> list of NVIDIA GPUs (display/3D class)
  nvidia_driver_headers   kernel release + plan -> kernel header packages for DKMS
  nvidia_driver_version_of  "535.309.01-0+deb12u1" / "3:580.95.05-1.el9" -> "535.309.01"
  nvidia_driver_key_values  ["k=v", ...] -> {"k": "v"} (output of the role's probe scripts)
  nvidia_driver_judge     validation probe -> {status: ok|mismatch|skipped|reboot-pending, ...}
"""

import re
import shlex

try:  # Ansible is present when the role runs; pytest may import this file without it.
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - exercised only outside Ansible

    class AnsibleFilterError(Exception):
        pass


KERNEL_MODULES = ("auto", "proprietary", "open")
# PCI base class 03 (display): 0300 VGA, 0302 3D controller. NVIDIA boards also expose audio
# (0403) and USB-C (0c03) functions that must not count as GPUs.
GPU_CLASSES = ("0300", "0302")
VERSION_RE = re.compile(r"^\d{3}(\.\d{2,3}){1,2}$")


def _fail(msg):
    raise AnsibleFilterError("nvidia_driver: " + msg)


# Distributions whose releases are "YY.MM": the key keeps the month so that 22.10 never takes
# the 22.04 LTS path.
DATED_RELEASES = ("ubuntu",)


def os_key(facts, aliases=None):
    """'Debian' '12' -> 'debian12'; 'Ubuntu' '24.04' -> 'ubuntu24.04'; Rocky/Alma/RHEL 9 ->
    'rhel9'."""
    dist = str(facts.get("distribution", "")).lower().replace(" ", "")
    major = str(facts.get("distribution_major_version", "")).strip()
    if dist in DATED_RELEASES:
        major = str(facts.get("distribution_version", "")).strip()
    dist = (aliases or {}).get(dist, dist)
    if not dist or not major:
        _fail("cannot tell the OS release (ansible_distribution / _major_version missing)")
    return dist + major


def _expand(names, branch):
    return [n.replace("{branch}", branch) for n in names]


def _hold_regex(pattern, branch):
    if isinstance(pattern, list):
        pattern = "^(" + "|".join(pattern) + ")$"
    return pattern.replace("{branch}", branch)


def plan(facts, matrix, settings, aliases=None, cuda_archs=None):
    """Decide what to install. Every unsupported combination fails with a message naming the
    variable to change; nothing falls back to a neighbouring release's packages."""
    key = os_key(facts, aliases)
    entry = matrix.get(key)
    if entry is None:
        _fail(
            "%s %s is not supported by this role (supported: %s). A new OS release gets its own "
            "entry in roles/nvidia_driver/vars/main.yml after it has been converged on real "
            "GPU hardware; it never silently takes an older release's packages."
            % (
                facts.get("distribution"),
                facts.get("distribution_version") or facts.get("distribution_major_version"),
                ", ".join(sorted(matrix)),
            )
        )

    source = str(settings.get("source") or "auto")
    if source == "auto":
        source = entry["sources"][0]
    if source not in entry["sources"] or not entry.get(source):
        _fail(
            "nvidia_driver_source=%s is not available on %s (available: %s)"
            % (source, key, ", ".join(entry["sources"]))
        )
    src = entry[source]

    branch = str(settings.get("branch") or "").strip()
    allowed = [str(b) for b in src.get("branches", [])]
    if not branch:
        branch = str(src.get("branch") or "")
        if not branch:
            _fail("nvidia_driver_branch must be set for source %s on %s" % (source, key))
    if not re.fullmatch(r"\d{3}", branch):
        _fail("nvidia_driver_branch must be a 3-digit driver branch such as 535, got %r" % branch)
    if allowed and branch not in allowed:
        _fail(
            "nvidia_driver_branch=%s is not available from %s on %s (available: %s)"
            % (branch, source, key, ", ".join(allowed))
        )

    version = str(settings.get("version") or "").strip()
    if version:
        if not VERSION_RE.match(version):
            _fail("nvidia_driver_version must look like 535.309.01, got %r" % version)
        if version.split(".")[0] != branch:
            _fail(
                "nvidia_driver_version=%s is not in nvidia_driver_branch=%s" % (version, branch)
            )

    modules = str(settings.get("kernel_modules") or "auto")
    if modules not in KERNEL_MODULES:
        _fail("nvidia_driver_kernel_modules must be one of %s, got %r" % (KERNEL_MODULES, modules))
    open_ok = src.get("open_modules", True)
    if modules == "auto":
        threshold = src.get("min_open_default_branch")
        modules = "open" if (open_ok and threshold and int(branch) >= threshold) else "proprietary"
    if modules == "open" and not open_ok:
        _fail(
            "open kernel modules are not available in lockstep with the driver from %s on %s: "
            "set nvidia_driver_kernel_modules=proprietary" % (source, key)
        )

    packages = _expand(src["packages_" + modules] + src.get("packages_common", []), branch)
    result = {
        "os_key": key,
        "family": entry["family"],
        "source": source,
        "branch": branch,
        "version": version,
        "kernel_modules": modules,
        "packages": packages,
        "hold_regex": _hold_regex(src["hold_regex"], branch),
        "components": list(src.get("components", [])),
        "repo_dir": src.get("repo_dir", ""),
        "module_stream": "",
        "cuda_arch": "",
    }
    if source == "cuda_repo":
        arch = str(facts.get("architecture", ""))
        result["cuda_arch"] = (cuda_archs or {}).get(arch, "")
        if not result["cuda_arch"]:
            _fail("NVIDIA's CUDA repository has no %s tree for architecture %r" % (key, arch))
        if "module_stream_" + modules in src:
            result["module_stream"] = src["module_stream_" + modules].replace("{branch}", branch)
    return result


def package_specs(plan_, version_suffix):
    """Package names with the pinned version appended in the package manager's syntax.

    apt: name=535.309.01*   dnf: name-580.95.05 (module streams pin the branch themselves)
    Packages whose own version is not the driver's (Debian's nvidia-persistenced) stay unpinned.
    """
    version = plan_.get("version")
    if not version:
        return list(plan_["packages"])
    unpinned = {"nvidia-persistenced"}
    sep = "=" if plan_["family"] == "apt" else "-"
    return [
        p if p in unpinned else "%s%s%s%s" % (p, sep, version, version_suffix)
        for p in plan_["packages"]
    ]


def gpus(lspci_output):
    """Parse `lspci -Dmmn -d 10de:` (machine-readable, numeric) into GPU dicts."""
    found = []
    for line in (lspci_output or "").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            fields = shlex.split(line)
        except ValueError:
            continue
        if len(fields) < 4:
            continue
        slot, pci_class, vendor, device = fields[0], fields[1], fields[2], fields[3]
        if vendor.lower() != "10de" or pci_class[:4] not in GPU_CLASSES:
            continue
        found.append({"slot": slot, "class": pci_class, "device_id": device.lower()})
    return found


def headers(kernel_release, plan_):
    """Header packages DKMS needs: the running kernel's, plus the flavour's meta package so the
    next kernel update brings its headers (and DKMS rebuilds the module before the reboot)."""
    release = str(kernel_release or "")
    if plan_["family"] == "dnf":
        return ["kernel-devel-" + release, "kernel-headers"] if release else ["kernel-devel"]
    pkgs = ["linux-headers-" + release] if release else []
    m = re.match(r"^\d+\.\d+\.\d+-\d+-(?P<flavour>[a-z0-9-]+)$", release)
    if m:
        pkgs.append("linux-headers-" + m.group("flavour"))
    return pkgs


def version_of(package_version):
    """Driver version inside a package version string, '' when there is none."""
    m = re.search(r"(\d{3}\.\d{2,3}(?:\.\d{2,3})?)", str(package_version or ""))
    return m.group(1) if m else ""


def key_values(lines):
    """['a=1', 'b=x=y'] -> {'a': '1', 'b': 'x=y'}: how the role's probe scripts report."""
    out = {}
    for line in lines or []:
        key, sep, value = str(line).partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def judge(probe, gpu_present, reboot_pending=False):
    """Validation verdict from the probe (module=, smi_rc=, smi=, gpu=, gpus= lines or dict).

    status: ok | mismatch | skipped (no GPU) | reboot-pending (the operator deferred it).
    """
    v = {"module": "", "smi_rc": "", "smi": "", "gpu": "", "gpus": "0"}
    v.update(key_values(probe) if isinstance(probe, list) else dict(probe or {}))
    if not gpu_present:
        v.update(status="skipped", message="no NVIDIA GPU on this host (lspci vendor 10de found nothing)")
    elif reboot_pending:
        v.update(status="reboot-pending", message="a reboot is pending (nvidia_driver_reboot is false)")
    elif v["module"] and str(v["smi_rc"]) == "0" and v["smi"] == v["module"]:
        v.update(status="ok", message="nvidia-smi %s = module %s" % (v["smi"], v["module"]))
    else:
        v.update(
            status="mismatch",
            message="loaded module %s, nvidia-smi %s (exit %s)"
            % (v["module"] or "none", v["smi"] or "none", v["smi_rc"] or "-"),
        )
    return v


class FilterModule:
    def filters(self):
        return {
            "nvidia_driver_plan": plan,
            "nvidia_driver_package_specs": package_specs,
            "nvidia_driver_gpus": gpus,
            "nvidia_driver_headers": headers,
            "nvidia_driver_version_of": version_of,
            "nvidia_driver_key_values": key_values,
            "nvidia_driver_judge": judge,
        }
