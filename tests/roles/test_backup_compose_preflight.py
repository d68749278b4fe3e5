"""Role backup on the compose runtime, preflight only (--check, local connection): settings the
container cannot honour fail early naming the variable; the defaults pass. The archives go to the
semantik role's semantik_compose_backup_dir (the directory mounted into webui)."""

from tests.roles.local_ansible import run_preflight

# What a compose host of role semantik needs to pass its preflight.
COMPOSE = {
    "semantik_runtime": "compose",
    "semantik_vecpipe_enabled": "true",
    "semantik_webui_enabled": "true",
    "semantik_admin_password": "long-enough-password",
}


def test_backup_on_compose_defaults_pass(tmp_path):
    rc, text = run_preflight(tmp_path, "backup", semantik_runtime="compose")
    assert rc == 0, text


def test_backup_on_compose_with_encryption_fails_naming_the_variables(tmp_path):
    rc, text = run_preflight(
        tmp_path, "backup", semantik_runtime="compose", backup_encryption_key="x" * 20
    )
    assert rc != 0
    assert "backup_encryption_key" in text and "semantik_runtime=compose" in text, text
    assert "x" * 20 not in text  # the key itself never appears


def test_backup_on_compose_without_the_backup_mount_fails_naming_the_variable(tmp_path):
    # The archives go to the directory the compose project mounts: one setting, not two to match.
    rc, text = run_preflight(
        tmp_path, "backup", semantik_runtime="compose", semantik_compose_backup_dir=""
    )
    assert rc != 0
    assert "semantik_compose_backup_dir" in text and "empty means no mount" in text, text


def test_backup_on_compose_follows_the_mounted_dir(tmp_path):
    rc, text = run_preflight(
        tmp_path, "backup", semantik_runtime="compose", semantik_compose_backup_dir="/srv/backups"
    )
    assert rc == 0, text


def test_backup_unknown_runtime_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "backup", semantik_runtime="podman")
    assert rc != 0
    assert "semantik_runtime must be systemd or compose" in text and "podman" in text, text


def test_semantik_relative_compose_backup_dir_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **COMPOSE, semantik_compose_backup_dir="backups")
    assert rc != 0
    assert "semantik_compose_backup_dir must be an absolute path" in text, text
