"""Archive encryption: round trip, wrong key, truncation and tampering are all refused."""

import io
import os

import pytest
from semantik.backup import crypto
from semantik.backup.errors import ArchiveRefused, BackupError

KEY = b"correct horse battery staple"


@pytest.mark.parametrize("size", [0, 10, 1024 * 1024, 2 * 1024 * 1024 + 7])
def test_round_trip(tmp_path, size):
    plain = tmp_path / "p"
    plain.write_bytes(os.urandom(size))
    enc = tmp_path / "e"
    with enc.open("wb") as fh:
        crypto.encrypt_file(plain, fh, KEY)
    assert crypto.is_encrypted(enc) and not crypto.is_encrypted(plain)
    out = io.BytesIO()
    crypto.decrypt_file(enc, out, KEY)
    assert out.getvalue() == plain.read_bytes()


def _encrypted(tmp_path, size=3 * 1024 * 1024):
    plain = tmp_path / "p"
    plain.write_bytes(os.urandom(size))
    enc = tmp_path / "e"
    with enc.open("wb") as fh:
        crypto.encrypt_file(plain, fh, KEY)
    return enc


def test_wrong_key_refused(tmp_path):
    enc = _encrypted(tmp_path)
    with pytest.raises(ArchiveRefused, match="wrong key or corrupted"):
        crypto.decrypt_file(enc, io.BytesIO(), b"another key of enough length")


def test_tampered_byte_refused(tmp_path):
    enc = _encrypted(tmp_path)
    data = bytearray(enc.read_bytes())
    data[len(data) // 2] ^= 0x40
    enc.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match="wrong key or corrupted"):
        crypto.decrypt_file(enc, io.BytesIO(), KEY)


def test_truncation_at_record_boundary_refused(tmp_path):
    enc = _encrypted(tmp_path)
    data = enc.read_bytes()
    header = len(crypto.MAGIC) + 24
    first = header + 5 + 1024 * 1024 + 16  # header plus one whole record
    enc.write_bytes(data[:first])
    with pytest.raises(ArchiveRefused, match="truncated"):
        crypto.decrypt_file(enc, io.BytesIO(), KEY)


def test_short_key_refused(tmp_path):
    key = tmp_path / "key"
    key.write_text("short\n")
    with pytest.raises(BackupError, match="shorter than 16"):
        crypto.read_key(key)
