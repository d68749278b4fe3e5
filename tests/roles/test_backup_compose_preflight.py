"""Role backup on the compose runtime, preflight only (--check, local connection): settings the
container cannot honour fail early naming the variable; the defaults pass. Also the semantik role's
semantik_compose_backup_dir (the directory mounted into webui)."""

from tests.roles.test_compose_preflight import COMPOSE, run_preflight


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


def test_backup_on_compose_dir_not_the_mounted_one_fails(tmp_path):
    rc, text = run_preflight(
        tmp_path, "backup", semantik_runtime="compose", backup_dir="/srv/backups"
    )
    assert rc != 0
    assert "backup_dir (/srv/backups) must equal semantik_compose_backup_dir" in text, text


def test_backup_on_compose_dir_matching_the_mount_passes(tmp_path):
    rc, text = run_preflight(
        tmp_path,
        "backup",
        semantik_runtime="compose",
        backup_dir="/srv/backups",
        semantik_compose_backup_dir="/srv/backups",
    )
    assert rc == 0, text


def test_backup_unknown_runtime_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "backup", backup_semantik_runtime="podman")
    assert rc != 0
    assert "backup_semantik_runtime" in text and "podman" in text, text


def test_semantik_relative_compose_backup_dir_fails_naming_the_variable(tmp_path):
    rc, text = run_preflight(tmp_path, "semantik", **COMPOSE, semantik_compose_backup_dir="backups")
    assert rc != 0
    assert "semantik_compose_backup_dir must be an absolute path" in text, text
