"""Secrets come from files named after the field (as systemd's LoadCredential= names them);
a secrets directory that is set but missing or unreadable stops startup with a clear error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from semantik.shared.settings import SecretsError, Settings


def test_secret_files_without_prefix_and_env_precedence(tmp_path, monkeypatch):
    (tmp_path / "jwt_secret").write_text("from-a-file-0123456789\n")
    (tmp_path / "internal_api_key").write_text("key-from-file")
    monkeypatch.delenv("SEMANTIK_JWT_SECRET", raising=False)
    monkeypatch.delenv("SEMANTIK_INTERNAL_API_KEY", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))  # looked up at build time
    settings = Settings(_env_file=None)
    assert settings.jwt_secret.get_secret_value() == "from-a-file-0123456789"
    assert settings.internal_api_key.get_secret_value() == "key-from-file"
    assert "from-a-file" not in repr(settings)
    monkeypatch.setenv("SEMANTIK_JWT_SECRET", "from-the-environment")
    assert Settings(_env_file=None).jwt_secret.get_secret_value() == "from-the-environment"
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    monkeypatch.delenv("SEMANTIK_JWT_SECRET")
    monkeypatch.delenv("SEMANTIK_SECRETS_DIR", raising=False)
    assert Settings(_env_file=None).jwt_secret is None


# --- a secrets directory that is set must be usable --------------------------------------------

SECRET = "do-not-print-this-secret-0123456789"
NOBODY = 65534


@pytest.fixture
def no_secret_env(monkeypatch):
    for name in ("SEMANTIK_SECRETS_DIR", "CREDENTIALS_DIRECTORY", "SEMANTIK_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["SEMANTIK_SECRETS_DIR", "CREDENTIALS_DIRECTORY"])
def test_missing_directory_fails_naming_variable_and_directory(tmp_path, no_secret_env, variable):
    missing = tmp_path / "no-such-dir"
    no_secret_env.setenv(variable, str(missing))
    no_secret_env.setenv("SEMANTIK_INTERNAL_API_KEY", SECRET)
    with pytest.raises(SecretsError) as err:
        Settings(_env_file=None)
    assert str(err.value) == f"{variable}={missing}: the secrets directory does not exist"
    assert SECRET not in str(err.value)


def test_a_file_instead_of_a_directory_fails(tmp_path, no_secret_env):
    (tmp_path / "jwt_secret").write_text(SECRET)
    no_secret_env.setenv("SEMANTIK_SECRETS_DIR", str(tmp_path / "jwt_secret"))
    with pytest.raises(SecretsError, match="SEMANTIK_SECRETS_DIR=.*jwt_secret: .*not a directory"):
        Settings(_env_file=None)


def test_a_missing_semantik_dir_is_not_replaced_by_the_credentials_directory(
    tmp_path, no_secret_env
):
    (tmp_path / "jwt_secret").write_text(SECRET)
    no_secret_env.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    no_secret_env.setenv("SEMANTIK_SECRETS_DIR", str(tmp_path / "gone"))
    with pytest.raises(SecretsError, match="^SEMANTIK_SECRETS_DIR="):
        Settings(_env_file=None)
    no_secret_env.delenv("SEMANTIK_SECRETS_DIR")
    assert Settings(_env_file=None).jwt_secret.get_secret_value() == SECRET


def test_unset_or_empty_variables_mean_no_secrets_directory(no_secret_env):
    no_secret_env.setenv("SEMANTIK_SECRETS_DIR", "")
    assert Settings(_env_file=None).jwt_secret is None


# Unreadable needs a user the permissions apply to: root reads everything, so as root the check
# runs in a child process as nobody.
@pytest.fixture
def shared_dir():
    # Under /tmp itself (pytest's tmp_path is private to root): nobody must reach it.
    path = Path(tempfile.mkdtemp(prefix="semantik-secrets-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def build_settings_unprivileged(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "from semantik.shared.settings import Settings; Settings(_env_file=None)"
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop to an unprivileged user")
        command = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    clean = {k: v for k, v in os.environ.items() if k not in ("SEMANTIK_JWT_SECRET",)}
    clean.pop("SEMANTIK_SECRETS_DIR", None)
    clean.pop("CREDENTIALS_DIRECTORY", None)
    return subprocess.run(
        command, env={**clean, **env}, capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_unreadable_directory_fails_naming_it(shared_dir):
    secrets = shared_dir / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "jwt_secret").write_text(SECRET)
    out = build_settings_unprivileged({"CREDENTIALS_DIRECTORY": str(secrets)})
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"semantik.shared.settings.SecretsError: CREDENTIALS_DIRECTORY={secrets}: "
        "the secrets directory cannot be read by this user"
    ), out.stderr
    assert SECRET not in out.stderr


def test_unreadable_secret_file_fails_naming_the_file_not_its_value(shared_dir):
    (shared_dir / "jwt_secret").write_text(SECRET)
    (shared_dir / "jwt_secret").chmod(0o600)
    out = build_settings_unprivileged({"SEMANTIK_SECRETS_DIR": str(shared_dir)})
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last == (
        f"semantik.shared.settings.SecretsError: SEMANTIK_SECRETS_DIR={shared_dir}: "
        "cannot read the secret file jwt_secret: Permission denied"
    ), out.stderr
    assert SECRET not in out.stderr
    # Readable again: the same child process starts.
    (shared_dir / "jwt_secret").chmod(0o644)
    assert build_settings_unprivileged({"SEMANTIK_SECRETS_DIR": str(shared_dir)}).returncode == 0


def test_cli_startup_reports_it_without_a_traceback(tmp_path, no_secret_env):
    missing = tmp_path / "credentials"
    env = {**os.environ, "SEMANTIK_SECRETS_DIR": str(missing), "SEMANTIK_JWT_SECRET": SECRET}
    out = subprocess.run(
        [sys.executable, "-m", "semantik.cli", "serve", "webui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr == (
        f"error: invalid configuration: SEMANTIK_SECRETS_DIR={missing}: "
        "the secrets directory does not exist\n"
    )
