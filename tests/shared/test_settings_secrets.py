"""Secrets come from files named after the field (as systemd's LoadCredential= names them)."""

from __future__ import annotations

from semantik.shared.settings import Settings


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
