"""nvidia_container_toolkit's daemon.json merge: the operator's keys are never lost."""

from pathlib import Path

import pytest
import yaml

from tests.roles.local_ansible import import_file

ROLE = Path(__file__).resolve().parents[2] / "roles" / "nvidia_container_toolkit"


F = import_file(ROLE / "filter_plugins" / "nvidia_container_toolkit.py")
ENTRY = {"nvidia": {"path": "nvidia-container-runtime", "args": []}}


def test_role_vars_hold_the_same_entry_nvidia_ctk_writes():
    raw = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    entry = raw["_nvidia_container_toolkit_runtime_entry"]
    assert entry["nvidia"]["args"] == []
    assert "nvidia_container_toolkit_runtime_path" in entry["nvidia"]["path"]


def test_empty_or_missing_file_gets_the_runtime():
    assert F.daemon_json({}, ENTRY, False) == {"runtimes": ENTRY}
    assert F.daemon_json(None, ENTRY, True) == {"runtimes": ENTRY, "default-runtime": "nvidia"}


def test_operator_keys_and_runtimes_are_kept():
    existing = {
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m"},
        "data-root": "/srv/docker",
        "runtimes": {"crun": {"path": "/usr/bin/crun"}},
    }
    merged = F.daemon_json(existing, ENTRY, False)
    assert merged["log-opts"] == {"max-size": "10m"}
    assert merged["data-root"] == "/srv/docker"
    assert set(merged["runtimes"]) == {"crun", "nvidia"}
    # The input is not modified in place (the role compares old and new).
    assert "nvidia" not in existing["runtimes"]


def test_an_existing_nvidia_runtime_is_left_alone():
    custom = {"nvidia": {"path": "/opt/nvidia/bin/nvidia-container-runtime", "args": ["--debug"]}}
    merged = F.daemon_json({"runtimes": custom}, ENTRY, False)
    assert merged["runtimes"] == custom


def test_merge_is_idempotent():
    once = F.daemon_json({"live-restore": True}, ENTRY, True)
    assert F.daemon_json(once, ENTRY, True) == once


def test_default_runtime_is_removed_only_when_it_was_ours():
    merged = F.daemon_json({"default-runtime": "nvidia", "runtimes": ENTRY}, ENTRY, False)
    assert "default-runtime" not in merged
    merged = F.daemon_json({"default-runtime": "crun"}, ENTRY, False)
    assert merged["default-runtime"] == "crun"
    merged = F.daemon_json({"default-runtime": "crun"}, ENTRY, True)
    assert merged["default-runtime"] == "nvidia"


def test_bad_documents_fail_clearly():
    with pytest.raises(F.AnsibleFilterError, match="JSON object"):
        F.daemon_json(["not", "an", "object"], ENTRY, False)
    with pytest.raises(F.AnsibleFilterError, match="'runtimes' is not an object"):
        F.daemon_json({"runtimes": "nvidia"}, ENTRY, False)
