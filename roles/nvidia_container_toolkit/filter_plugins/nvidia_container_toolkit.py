"""Pure logic of the nvidia_container_toolkit role (tested by tests/roles/test_nvidia_toolkit.py).

nvidia_container_toolkit_daemon_json(existing, runtime_entry, default_runtime) -> merged dict
"""

import copy

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - pytest without Ansible

    class AnsibleFilterError(Exception):
        pass


def daemon_json(existing, runtime_entry, default_runtime):
    """Merge the nvidia runtime into Docker's daemon.json settings.

    Every key the operator set is kept. An existing "nvidia" runtime is left as it is (like
    `nvidia-ctk runtime configure`, which the role only replaces so that check/diff mode work).
    default-runtime becomes "nvidia" when asked; when not asked, only a default of "nvidia" (ours)
    is removed, never another runtime the operator chose.
    """
    if existing is None:
        existing = {}
    if not isinstance(existing, dict):
        raise AnsibleFilterError(
            "nvidia_container_toolkit: daemon.json must hold a JSON object, found %s"
            % type(existing).__name__
        )
    merged = copy.deepcopy(existing)
    runtimes = merged.get("runtimes") or {}
    if not isinstance(runtimes, dict):
        raise AnsibleFilterError("nvidia_container_toolkit: daemon.json 'runtimes' is not an object")
    for name, entry in (runtime_entry or {}).items():
        runtimes.setdefault(name, copy.deepcopy(entry))
    merged["runtimes"] = runtimes
    if default_runtime:
        merged["default-runtime"] = "nvidia"
    elif merged.get("default-runtime") == "nvidia":
        del merged["default-runtime"]
    return merged


class FilterModule:
    def filters(self):
        return {"nvidia_container_toolkit_daemon_json": daemon_json}
