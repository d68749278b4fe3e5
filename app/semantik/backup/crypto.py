"""Optional archive encryption: AES-256-GCM in 1 MiB records, key derived by scrypt from the
key file's content (the inventory's passphrase).

Layout: MAGIC, 16-byte salt, 8-byte nonce prefix, then records of
[4-byte ciphertext length][1-byte final flag][ciphertext+tag]. Each record's nonce is the prefix
plus its index and its associated data binds the header, the index and the final flag, so reordered,
truncated, appended or altered data fails to decrypt instead of restoring something else.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import BinaryIO

from semantik.backup.errors import ArchiveRefused, BackupError

MAGIC = b"SEMANTIK-BACKUP-AES256GCM-1\n"
_RECORD = 1024 * 1024


def _aesgcm(key: bytes):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # only encrypted archives need it
        raise BackupError(
            "encrypted archives need the 'cryptography' package in semantik's environment"
        ) from exc
    return AESGCM(key)


def read_key(path: Path) -> bytes:
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise BackupError(f"cannot read the backup key file {path}: {exc.strerror}") from exc
    if len(secret) < 16:
        raise BackupError(f"the backup key in {path} is shorter than 16 characters")
    return secret


def _derive(secret: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=2**15, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def encrypt_file(src: Path, dst: BinaryIO, secret: bytes) -> None:
    salt, prefix = os.urandom(16), os.urandom(8)
    aead = _aesgcm(_derive(secret, salt))
    header = MAGIC + salt + prefix
    dst.write(header)
    size = src.stat().st_size
    with src.open("rb") as fh:
        index = 0
        done = 0
        while True:
            block = fh.read(_RECORD)
            done += len(block)
            final = done >= size
            nonce = prefix + struct.pack(">I", index)
            sealed = aead.encrypt(nonce, block, header + struct.pack(">IB", index, final))
            dst.write(struct.pack(">IB", len(sealed), final) + sealed)
            index += 1
            if final:
                return


def decrypt_file(src: Path, dst: BinaryIO, secret: bytes) -> None:
    from cryptography.exceptions import InvalidTag

    with src.open("rb") as fh:
        header = fh.read(len(MAGIC) + 24)
        if len(header) != len(MAGIC) + 24 or not header.startswith(MAGIC):
            raise ArchiveRefused(f"{src.name} is not an encrypted semantik archive")
        salt, prefix = header[len(MAGIC) : len(MAGIC) + 16], header[len(MAGIC) + 16 :]
        aead = _aesgcm(_derive(secret, salt))
        index = 0
        while True:
            head = fh.read(5)
            if len(head) != 5:
                raise ArchiveRefused(f"{src.name} is truncated (no final record)")
            length, final = struct.unpack(">IB", head)
            sealed = fh.read(length)
            if len(sealed) != length or length > _RECORD + 16:
                raise ArchiveRefused(f"{src.name} is truncated or corrupt")
            nonce = prefix + struct.pack(">I", index)
            try:
                dst.write(aead.decrypt(nonce, sealed, header + struct.pack(">IB", index, final)))
            except InvalidTag as exc:
                raise ArchiveRefused(
                    f"{src.name} does not decrypt: wrong key or corrupted data (record {index})"
                ) from exc
            index += 1
            if final:
                if fh.read(1):
                    raise ArchiveRefused(f"{src.name} has data after its final record")
                return
