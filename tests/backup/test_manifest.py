"""Manifest verification: checksums, completeness and version checks refuse bad archives."""

import pytest
from semantik.backup.errors import ArchiveRefused
from semantik.backup.manifest import (
    MANIFEST_NAME,
    Manifest,
    Versions,
    check_versions,
    verify_files,
)

V = Versions(app="0.1.0", vector_store="embedded", qdrant="0.9.0", model="all-MiniLM-L6-v2")


def _tree(tmp_path):
    (tmp_path / "database").mkdir()
    (tmp_path / "database" / "webui.db").write_bytes(b"sqlite" * 100)
    (tmp_path / "vectors").mkdir()
    (tmp_path / "vectors" / "docs.tar").write_bytes(b"shard")
    m = Manifest(created="2026-11-26T00:00:00+00:00", host="h", versions=V, collections={"docs": 3})
    m.add_file(tmp_path, "database/webui.db")
    m.add_file(tmp_path, "vectors/docs.tar")
    (tmp_path / MANIFEST_NAME).write_text(m.to_json())
    return m


def test_round_trip_and_clean_tree_verifies(tmp_path):
    m = _tree(tmp_path)
    again = Manifest.from_json((tmp_path / MANIFEST_NAME).read_text())
    assert again == m
    verify_files(again, tmp_path)


def test_flipped_byte_is_refused(tmp_path):
    m = _tree(tmp_path)
    path = tmp_path / "vectors" / "docs.tar"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match="checksum mismatch: vectors/docs.tar"):
        verify_files(m, tmp_path)


def test_missing_and_extra_files_are_refused(tmp_path):
    m = _tree(tmp_path)
    (tmp_path / "vectors" / "docs.tar").unlink()
    with pytest.raises(ArchiveRefused, match=r"1 file\(s\) missing"):
        verify_files(m, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    m = _tree(other)
    (other / "config").mkdir()
    (other / "config" / "smuggled").write_text("x")
    with pytest.raises(ArchiveRefused, match="not in its manifest: config/smuggled"):
        verify_files(m, other)


def test_unknown_format_and_garbage_refused():
    with pytest.raises(ArchiveRefused, match="unknown archive format"):
        Manifest.from_json('{"format": "other/9"}')
    with pytest.raises(ArchiveRefused, match="unreadable"):
        Manifest.from_json("not json")
    with pytest.raises(ArchiveRefused, match="unreadable"):
        Manifest.from_json('{"format": "semantik-backup/1"}')


def test_same_versions_accepted_older_app_accepted():
    check_versions(V, V)
    check_versions(Versions("0.0.9", "embedded", "0.9.0", V.model), V)


@pytest.mark.parametrize(
    ("archived", "message"),
    [
        (Versions("0.2.0", "embedded", "0.9.0", V.model), "newer than the installed"),
        (Versions("0.1.0", "qdrant", "1.15.0", V.model), "'qdrant' vector store"),
        (Versions("0.1.0", "embedded", "0.10.0", V.model), "Qdrant engine is 0.10.0"),
        (Versions("0.1.0", "embedded", "0.9.0", "BAAI/bge-small-en-v1.5"), "model"),
    ],
)
def test_mismatches_refused(archived, message):
    with pytest.raises(ArchiveRefused, match=message):
        check_versions(archived, V)


def test_server_snapshot_from_older_minor_accepted_newer_refused():
    current = Versions("0.1.0", "qdrant", "1.15.2", V.model)
    check_versions(Versions("0.1.0", "qdrant", "1.14.0", V.model), current)
    with pytest.raises(ArchiveRefused, match="version mismatch"):
        check_versions(Versions("0.1.0", "qdrant", "1.16.0", V.model), current)


def test_unsafe_tar_members_refused_without_the_data_filter(tmp_path, monkeypatch):
    """Debian 12's Python (3.11.2) has no tarfile data filter: our own check must hold."""
    import io
    import tarfile

    from semantik.backup.shardtar import extract_tar

    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    for name, kind in [
        ("../escape", tarfile.REGTYPE),
        ("/abs", tarfile.REGTYPE),
        ("l", tarfile.SYMTYPE),
    ]:
        archive = tmp_path / "bad.tar"
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
        with pytest.raises(ArchiveRefused):
            extract_tar(archive, tmp_path / "out")
        assert not (tmp_path / "escape").exists()
    good = tmp_path / "good.tar"
    with tarfile.open(good, "w") as tar:
        info = tarfile.TarInfo("dir/file")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"ok"))
    extract_tar(good, tmp_path / "ok")
    assert (tmp_path / "ok" / "dir" / "file").read_bytes() == b"ok"
