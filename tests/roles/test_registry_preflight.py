"""registry role preflight on the controller: a missing or short password, a bad certificate
mode, `provided` without its files fail early naming the variable (and never print the password);
good settings pass. The real role, only its argument spec and preflight stage."""

import pytest

from tests.roles import local_ansible
from tests.roles.local_ansible import PLAYBOOK

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

PASSWORD = "a-registry-password-for-tests"  # pragma: allowlist secret


def run_preflight(tmp_path, **variables):
    return local_ansible.run_preflight(tmp_path, "registry", tags="registry_preflight", **variables)


def test_without_a_password_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path)
    assert rc != 0 and "registry_password must be set" in text


def test_short_password_fails_and_is_not_printed(tmp_path):
    rc, text = run_preflight(tmp_path, registry_password="short-pw")
    assert rc != 0 and "registry_password" in text
    assert "short-pw" not in text


def test_unknown_certificate_mode_fails(tmp_path):
    rc, text = run_preflight(tmp_path, registry_password=PASSWORD, registry_certificate_mode="acme")
    assert rc != 0 and "registry_certificate_mode" in text


def test_provided_without_files_fails_naming_the_variables(tmp_path):
    rc, text = run_preflight(
        tmp_path, registry_password=PASSWORD, registry_certificate_mode="provided"
    )
    assert rc != 0
    assert "registry_provided_certificate" in text and "registry_provided_private_key" in text


def test_good_settings_pass(tmp_path):
    rc, text = run_preflight(tmp_path, registry_password=PASSWORD)
    assert rc == 0, text
    assert PASSWORD not in text
