"""qdrant role preflight on the controller: wrong combinations of inventory variables fail early,
naming the variable, before anything is changed; right ones pass. The real role, only its
argument spec and preflight stage (--tags qdrant_preflight, --check) against a local connection;
and its install stage in --check mode, as on a new host (nothing is changed: check mode)."""

import hashlib

import pytest

from tests.roles import local_ansible
from tests.roles.local_ansible import PLAYBOOK

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")


def run_preflight(tmp_path, tags="qdrant_preflight", **variables):
    return local_ansible.run_preflight(tmp_path, "qdrant", tags=tags, **variables)


@pytest.fixture
def artifact(tmp_path):
    # Any file serves: preflight checks its presence and checksum, it is never run.
    path = tmp_path / "qdrant-x86_64-unknown-linux-musl.tar.gz"
    path.write_bytes(b"not a real archive; preflight only hashes it\n")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_without_its_sha256_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path)  # defaults: install_source=release, no sha256
    assert rc != 0
    assert "'release' needs qdrant_release_sha256" in text


def test_unknown_install_source_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, qdrant_install_source="docker")
    assert rc != 0
    assert "qdrant_install_source" in text and "docker" in text


def test_local_artifact_with_a_wrong_sha256_fails(tmp_path, artifact):
    path, _ = artifact
    rc, text = run_preflight(
        tmp_path,
        qdrant_install_source="local",
        qdrant_local_artifact=path,
        qdrant_local_artifact_sha256="0" * 64,
    )
    assert rc != 0
    assert "sha256 differs from qdrant_local_artifact_sha256" in text


def test_local_without_an_artifact_fails(tmp_path):
    rc, text = run_preflight(tmp_path, qdrant_install_source="local")
    assert rc != 0
    assert "'local' needs qdrant_local_artifact" in text


def test_tls_without_certificate_fails_naming_the_variables(tmp_path):
    rc, text = run_preflight(tmp_path, qdrant_binary_install="false", qdrant_tls_enabled="true")
    assert rc != 0
    assert "qdrant_tls_enabled needs qdrant_tls_cert and qdrant_tls_key" in text


def test_cluster_on_a_host_outside_the_peer_group_fails(tmp_path):
    # localhost is in no qdrant group: no peers (3-peer inventories: test_qdrant_cluster.py).
    rc, text = run_preflight(tmp_path, qdrant_binary_install="false", qdrant_cluster_enabled="true")
    assert rc != 0
    assert "qdrant_cluster_enabled needs this host in the group qdrant_cluster_peer_group" in text
    assert "('qdrant': no hosts)" in text


def test_local_artifact_with_its_sha256_passes(tmp_path, artifact):
    path, sha = artifact
    rc, text = run_preflight(
        tmp_path,
        qdrant_install_source="local",
        qdrant_local_artifact=path,
        qdrant_local_artifact_sha256=sha,
    )
    assert rc == 0, text
    assert "failed=0" in text


def test_without_the_binary_passes_and_says_so(tmp_path):
    rc, text = run_preflight(tmp_path, qdrant_binary_install="false")
    assert rc == 0, text
    assert "qdrant_binary_install is false" in text


@pytest.mark.parametrize("kind", ["archive", "binary"])
def test_check_mode_install_of_a_local_artifact_on_a_new_host(tmp_path, artifact, kind):
    # --check --diff on a host that has no install directory yet: the unpack/copy of the
    # artifact must be skipped, not fail on the missing directory.
    path, sha = artifact
    if kind == "binary":
        path = path.rename(path.with_name("qdrant"))
    install_dir = tmp_path / "opt-qdrant"
    rc, text = run_preflight(
        tmp_path,
        tags="qdrant_preflight,qdrant_install",
        qdrant_install_source="local",
        qdrant_local_artifact=path,
        qdrant_local_artifact_sha256=sha,
        qdrant_install_dir=install_dir,
    )
    assert rc == 0, text
    assert "failed=0" in text
    assert not install_dir.exists()  # check mode changed nothing
